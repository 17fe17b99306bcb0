import { webhook } from "./functions";

/** The webhook's public endpoint, throttled so a flood cannot run up a bill. */
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
api.route("POST /webhook", webhook.arn);

export const webhookUrl = $interpolate`${api.url}/webhook`;
