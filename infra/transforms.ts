import { config } from "./settings";

/*
 * What applies to resources of many kinds, whoever declares them (infra/ or SST's components):
 * registered before any resource, so sst.config.ts imports this right after the settings.
 */

// Every IAM role: the runners' and the ones SST makes for the functions and schedules.
$transform(aws.iam.Role, (args) => {
  args.path = config.role_path;
  if (config.role_permissions_boundary) args.permissionsBoundary = config.role_permissions_boundary;
});

/**
 * S3 objects (the functions' code) take 10 tags at most, and cost is allocated per bucket: they
 * get none.
 */
const UNTAGGED = new Set([
  "aws:s3/bucketObjectv2:BucketObjectv2",
  "aws:s3/bucketObject:BucketObject",
]);

// Cost allocation tags on every AWS resource that takes tags: a Pulumi AWS resource has a `tags`
// input exactly when its type is taggable. Not the provider's defaultTags: those are set in app(),
// which the CLI evaluates apart from run() for every command, before the config is validated, and
// they reach AWS through the provider, where the deploy tests cannot see them. A resource's own
// tags win.
const { tags } = config;
if (Object.keys(tags).length > 0)
  $util.runtime.registerStackTransformation(({ type, props, opts }) => {
    if (!type.startsWith("aws:") || !("tags" in props) || UNTAGGED.has(type)) return undefined;
    const merged =
      props.tags === undefined
        ? { ...tags }
        : $util.output(props.tags).apply((own) => ({ ...tags, ...own }));
    return { props: { ...props, tags: merged }, opts };
  });
