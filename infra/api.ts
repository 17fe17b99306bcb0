/**
 * The webhook's public endpoint, throttled so a flood cannot run up a bill. Its route is added
 * with the webhook function (infra/functions.ts), which also hands the URL to the reaper.
 */
export const api = new sst.aws.ApiGatewayV2("WebhookApi", {
  transform: {
    stage: (args) => {
      args.defaultRouteSettings = {
        throttlingBurstLimit: 200,
        throttlingRateLimit: 100,
        detailedMetricsEnabled: false,
      };
    },
  },
});

export const webhookUrl = $interpolate`${api.url}/webhook`;
