import { CfnOutput, CrossStackReferences, ReferenceStrength, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { KeygateApi, type KeygateApiProps } from './keygate-api.js';

export interface KeygateStackProps extends StackProps, Omit<KeygateApiProps, 'certificate' | 'hostedZone' | 'supportPrincipals'> {
  /** ARN of a regional ACM certificate for `domainName`, in this stack's region. */
  readonly certificateArn: string;
  /** With `hostedZoneName`, the zone for an alias record. @default - no DNS record */
  readonly hostedZoneId?: string;
  /** @default - no DNS record */
  readonly hostedZoneName?: string;
  /** IAM principal ARNs allowed to assume the support role; required unless `trustAccountForSupport` is set. @default - none */
  readonly supportPrincipalArns?: readonly string[];
}

/** The stateless part: API, functions, domain. Safe to destroy and recreate; data lives in `KeygateStatefulStack`. */
export class KeygateStack extends Stack {
  readonly keygate: KeygateApi;

  constructor(scope: Construct, id: string, props: KeygateStackProps) {
    super(scope, id, props);
    // Strong (export/import): the stateful stack cannot be deleted while this one uses its bucket.
    CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);
    const { certificateArn, hostedZoneId, hostedZoneName, supportPrincipalArns, ...apiProps } = props;
    const hostedZone =
      hostedZoneId && hostedZoneName ? route53.HostedZone.fromHostedZoneAttributes(this, 'HostedZone', { hostedZoneId, zoneName: hostedZoneName }) : undefined;

    this.keygate = new KeygateApi(this, 'Keygate', {
      ...apiProps,
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', certificateArn),
      hostedZone,
      supportPrincipals: supportPrincipalArns?.map((arn) => new iam.ArnPrincipal(arn)),
    });

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the API (mutual TLS required)', value: `https://${props.domainName}/` });
    new CfnOutput(this, 'RegionalDomainName', {
      description: `Point a CNAME or alias record for ${props.domainName} at this name`,
      value: this.keygate.domain.domainNameAliasDomainName,
    });
    new CfnOutput(this, 'RegionalHostedZoneId', { description: 'Hosted zone ID for an alias record', value: this.keygate.domain.domainNameAliasHostedZoneId });
    new CfnOutput(this, 'SupportRoleArn', { description: 'Role for support staff: assume it to call /keys...', value: this.keygate.supportRole.roleArn });
    new CfnOutput(this, 'AlarmTopicArn', { description: 'SNS topic every keygate alarm notifies', value: this.keygate.monitoring.alarmTopic.topicArn });
    new CfnOutput(this, 'DashboardName', { description: 'CloudWatch dashboard of this deployment', value: this.keygate.monitoring.dashboard.dashboardName });
    new CfnOutput(this, 'MetricNamespace', { description: 'CloudWatch namespace of the functions\' metrics', value: this.keygate.metricNamespace });
    new CfnOutput(this, 'TruststoreKey', { description: 'S3 key of the deployed truststore', value: this.keygate.truststoreKey });
    if (props.replayTable) new CfnOutput(this, 'ReplayTableName', { description: 'DynamoDB table of used token IDs (replay protection)', value: props.replayTable.tableName });
    if (this.keygate.revocationSecretName !== undefined) {
      new CfnOutput(this, 'RevocationSecretName', { description: 'Secrets Manager secret holding revoked client certificates (POST /revocations)', value: this.keygate.revocationSecretName });
    }
  }
}
