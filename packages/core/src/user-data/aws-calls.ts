/**
 * How the instance's scripts reach IMDS and AWS: IMDSv2 (a fresh session token per lookup, so a
 * call hours into a job still works), the role's credentials read again before each AWS call
 * (they rotate), and JSON APIs signed by curl, so no AWS CLI is needed. Sets REGION and
 * INSTANCE_ID.
 */
export const awsCalls = `IMDS=http://169.254.169.254
metadata() {
  local session
  session=$(curl -fsS -X PUT "$IMDS/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 60")
  curl -fsS -H "X-aws-ec2-metadata-token: $session" "$IMDS/latest/meta-data/$1"
}
REGION=$(metadata placement/region)
INSTANCE_ID=$(metadata instance-id)

load_credentials() {
  local role credentials
  role=$(metadata iam/security-credentials/)
  credentials=$(metadata "iam/security-credentials/$role")
  field() { printf '%s' "$credentials" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
  access_key=$(field AccessKeyId)
  secret_key=$(field SecretAccessKey)
  session_token=$(field Token)
}

# aws_json SERVICE TARGET DATA: one call of an AWS JSON API (DATA as curl's --data: text or @file).
aws_json() {
  load_credentials
  curl -fsS --aws-sigv4 "aws:amz:$REGION:$1" --user "$access_key:$secret_key" \\
    -H "x-amz-security-token: $session_token" \\
    -H "Content-Type: application/x-amz-json-1.1" -H "X-Amz-Target: $2" \\
    --data "$3" "https://$1.$REGION.amazonaws.com/"
}`;
