/**
 * A team's existing CDK app that puts keygate in front of its own REST API: keygate's authorizer
 * on the team's routes, keygate's gateway responses, the registration function behind IAM, and
 * the mutual TLS domain with its checked truststore. Everything else (the API, its backend, the
 * bucket) is the team's. Run: npx cdk synth --app "npx tsx examples/cdk-app/app.ts" -c … (README).
 */
import { App, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { addKeygateGatewayResponses, addRegistrationRoutes, KeygateAuthorizerFunction, KeygateMtlsDomain, KeygateRegistrationFunction } from 'keygate';

interface OrdersStackProps extends StackProps {
  readonly domainName: string;
  readonly certificateArn: string;
  readonly truststorePath: string;
}

class OrdersStack extends Stack {
  constructor(scope: Construct, id: string, props: OrdersStackProps) {
    super(scope, id, props);

    // The team's API and backend, as they were before keygate.
    const api = new apigw.RestApi(this, 'OrdersApi', {
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      // Clients must come through the mutual TLS domain below.
      disableExecuteApiEndpoint: true,
      cloudWatchRole: false,
    });
    const orders = new lambda.Function(this, 'Orders', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ caller: event.requestContext.authorizer.keyName }) });'),
    });

    // keygate's authorizer: its own key prefix, so the team's keys live apart from other deployments.
    const settings = { secretPrefix: 'orders/keys/' };
    const keygateAuthorizer = new KeygateAuthorizerFunction(this, 'KeygateAuthorizer', { settings, metricNamespace: 'orders/keygate' });
    const authorizer = keygateAuthorizer.requestAuthorizer(this, 'BearerAuthorizer');
    api.root.addResource('orders').addMethod('GET', new apigw.LambdaIntegration(orders), { authorizer });
    addKeygateGatewayResponses(api);

    // Key registration for the team's support staff: IAM-signed /keys routes.
    const registration = new KeygateRegistrationFunction(this, 'KeygateRegistration', { settings, metricNamespace: 'orders/keygate' });
    addRegistrationRoutes(api, registration.function, false);

    // Mutual TLS in front of everything: the domain clients call, with keygate's checked truststore.
    const truststoreBucket = new s3.Bucket(this, 'Truststores', {
      versioned: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const mtls = new KeygateMtlsDomain(this, 'OrdersDomain', {
      domainName: props.domainName,
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
      truststoreBucket,
      truststorePath: props.truststorePath,
    });
    mtls.domain.addBasePathMapping(api, { stage: api.deploymentStage });
  }
}

const app = new App();
const context = (key: string): string => {
  const value: unknown = app.node.tryGetContext(key);
  if (typeof value !== 'string' || value === '') throw new Error(`pass -c ${key}=…`);
  return value;
};
const certificateArn = context('certificateArn');
const [, , , region, account] = certificateArn.split(':');
new OrdersStack(app, 'Orders', {
  env: { account, region },
  domainName: context('domainName'),
  certificateArn,
  truststorePath: context('truststore'),
});
app.synth();
