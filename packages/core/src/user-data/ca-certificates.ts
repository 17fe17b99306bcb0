import type { AutoscalerConfig } from "../pools/autoscaler-config";
import { shellQuote } from "./shell-quote";

export type CaCertificate = AutoscalerConfig["ca_certificates"][number];

/** Where the certificates go: Debian's and Ubuntu's update-ca-certificates reads this. */
const CA_DIR = "/usr/local/share/ca-certificates/ephemeral-runner";
/** All of them in one file, for gitlab-runner's tls-ca-file (beside its config). */
export const RUNNER_CA_FILE = "ca.crt";

const s3Parts = (uri: string) => {
  const path = uri.slice("s3://".length);
  const slash = path.indexOf("/");
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
};

// One certificate (PEM) to stdout: an SSM parameter (String or SecureString) through the JSON
// API, an S3 object by a signed GET (the bucket in the instance's region).
const fetchCertificate = (certificate: CaCertificate): string => {
  if ("ssm_parameter" in certificate)
    return `aws_json ssm AmazonSSM.GetParameter ${shellQuote(
      JSON.stringify({ Name: certificate.ssm_parameter, WithDecryption: true }),
    )} | python3 -c "import json,sys; print(json.load(sys.stdin)['Parameter']['Value'])"`;
  const { bucket, key } = s3Parts(certificate.s3);
  const path = key.split("/").map(encodeURIComponent).join("/");
  return `load_credentials
curl -fsS --aws-sigv4 "aws:amz:$REGION:s3" --user "$access_key:$secret_key" \\
  -H "x-amz-security-token: $session_token" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \\
  "https://${bucket}.s3.$REGION.amazonaws.com/${path}"`;
};

/**
 * The deployment's extra CAs, trusted before anything talks to GitLab or a registry: by the
 * system store (curl, git, the Docker daemon), and by gitlab-runner (tls-ca-file, which it also
 * hands to the job's helper for the clone).
 */
export const caCertificatesSetup = (certificates: readonly CaCertificate[]): string =>
  certificates.length === 0
    ? ""
    : `
# The deployment's own CAs (ca_certificates), for a GitLab or registry behind a private CA.
CA_DIR=$RUNNER_ROOT${CA_DIR}
install -d -m 0755 "$CA_DIR"
${certificates
  .map((certificate, index) => `${fetchCertificate(certificate)} >"$CA_DIR/${index}.crt"`)
  .join("\n")}
for certificate in "$CA_DIR"/*.crt; do
  grep -q 'BEGIN CERTIFICATE' "$certificate" || { echo "ca_certificates: $certificate is no PEM certificate" >&2; exit 1; }
done
update-ca-certificates
install -d -m 0700 -o root -g root "$CONFIG_DIR"
cat "$CA_DIR"/*.crt >"$CONFIG_DIR/${RUNNER_CA_FILE}"
`;
