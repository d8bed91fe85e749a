import { Duration, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { FAULT_METRICS, KEY_AGE_DAYS_METRIC, KEY_INDEX_MISSING_METRIC, KEY_STORE_INTEGRITY_METRIC, LOOKUP_METRICS } from '../lambdas/shared/metric-names.js';

export interface KeygateMonitoringProps {
  /** The keygate REST API (its stage's requests, 5XX and latency). */
  readonly api: apigw.RestApi;
  /** The authorizer function (errors, throttles, duration). */
  readonly authorizerFunction: lambda.IFunction;
  /** Namespace of the functions' metrics (`POWERTOOLS_METRICS_NAMESPACE`). */
  readonly metricNamespace: string;
  /** Alarm on `ReplayTableFault` (replay protection is on). @default false */
  readonly replayProtection?: boolean;
  /** Alarm on `RevocationListFault` (the revocation list is on). @default false */
  readonly certificateRevocation?: boolean;
  /** Topic every alarm notifies. @default - a topic created here */
  readonly alarmTopic?: sns.ITopic;
  /** E-mail address subscribed to the created topic (ignored with `alarmTopic`). @default - no subscription */
  readonly alarmEmail?: string;
  /** Alarm when the oldest key that verified a token in an hour is older than this many days. @default - no key-age alarm */
  readonly keyAgeAlarmDays?: number;
}

const PERIOD = Duration.minutes(5);
/** The functions' metrics carry this dimension (POWERTOOLS_SERVICE_NAME). */
const SERVICE_DIMENSION = { service: 'keygate' };

/**
 * keygate's alarms and dashboard. Every alarm notifies `alarmTopic`; each one but the key-age alarm
 * means callers are turned away (503s, a broken key) rather than a rate to watch, so each fires on
 * one event in 5 minutes. The key-age alarm (opt-in) warns before keys are refused.
 */
export class KeygateMonitoring extends Construct {
  readonly alarmTopic: sns.ITopic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly authorizerErrorsAlarm: cloudwatch.Alarm;
  readonly keyStoreFaultAlarm: cloudwatch.Alarm;
  /** Undefined without replay protection. */
  readonly replayTableFaultAlarm: cloudwatch.Alarm | undefined;
  /** Undefined without a revocation list. */
  readonly revocationListFaultAlarm: cloudwatch.Alarm | undefined;
  /** Undefined without `keyAgeAlarmDays`. */
  readonly keyAgeAlarm: cloudwatch.Alarm | undefined;
  private readonly namespace: string;

  constructor(scope: Construct, id: string, props: KeygateMonitoringProps) {
    super(scope, id);
    this.namespace = props.metricNamespace;
    this.alarmTopic = props.alarmTopic ?? this.createTopic(props.alarmEmail);
    const stage = props.api.deploymentStage;
    const authorizer = props.authorizerFunction;

    const alarm = (alarmId: string, alarmDescription: string, metric: cloudwatch.IMetric) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new actions.SnsAction(this.alarmTopic));
      return created;
    };
    const sum = { period: PERIOD, statistic: cloudwatch.Stats.SUM };

    const apiServerErrors = alarm('ApiServerErrorsAlarm', 'keygate API 5XX: callers got server errors (authorizer failures answer 503)', stage.metricServerError(sum));
    this.authorizerErrorsAlarm = alarm('AuthorizerErrorsAlarm', 'keygate authorizer errors: callers get 503 (key store faults or a broken deployment)', authorizer.metricErrors(sum));
    const throttles = alarm('AuthorizerThrottlesAlarm', 'keygate authorizer throttled by Lambda: callers get 503; raise the concurrency limit', authorizer.metricThrottles(sum));
    const integrity = alarm(
      'KeyStoreIntegrityErrorAlarm',
      'keygate key store integrity error: a stored key failed the key-material checks and is not used; its name is denied until fixed',
      this.metric(KEY_STORE_INTEGRITY_METRIC),
    );
    this.keyStoreFaultAlarm = alarm('KeyStoreFaultAlarm', 'keygate key store faults: Secrets Manager throttled or failed after retries', this.metric(FAULT_METRICS['key store']));
    const indexFault = alarm(
      'KeyIndexFaultAlarm',
      'keygate name index unreadable: names not cached in a container fail closed (503) until it is read again',
      this.metric(FAULT_METRICS['key index']),
    );
    this.replayTableFaultAlarm = props.replayProtection
      ? alarm('ReplayTableFaultAlarm', 'keygate replay table faults: DynamoDB throttled or failed, so the authorizer failed closed (503)', this.metric(FAULT_METRICS['replay table']))
      : undefined;
    this.revocationListFaultAlarm = props.certificateRevocation
      ? alarm(
          'RevocationListFaultAlarm',
          'keygate revocation list faults: the list could not be read from Secrets Manager past its stale window, so the authorizer failed closed (503)',
          this.metric(FAULT_METRICS['revocation list']),
        )
      : undefined;
    // The age of the keys in use grows a day a day: the hour's maximum is enough, and it does not flap between requests.
    const keyAge = new cloudwatch.Metric({ namespace: this.namespace, metricName: KEY_AGE_DAYS_METRIC, dimensionsMap: SERVICE_DIMENSION, period: Duration.hours(1), statistic: cloudwatch.Stats.MAXIMUM });
    this.keyAgeAlarm = props.keyAgeAlarmDays === undefined ? undefined : this.keyAgeAlarmOf(keyAge, props.keyAgeAlarmDays);
    this.alarms = [apiServerErrors, this.authorizerErrorsAlarm, throttles, integrity, this.keyStoreFaultAlarm, indexFault, this.replayTableFaultAlarm, this.revocationListFaultAlarm, this.keyAgeAlarm].filter(
      (each): each is cloudwatch.Alarm => each !== undefined,
    );

    const faults = [
      FAULT_METRICS['key store'],
      KEY_STORE_INTEGRITY_METRIC,
      FAULT_METRICS['key index'],
      KEY_INDEX_MISSING_METRIC,
      ...(props.replayProtection ? [FAULT_METRICS['replay table']] : []),
      ...(props.certificateRevocation ? [FAULT_METRICS['revocation list']] : []),
    ];
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    const graph = (title: string, left: cloudwatch.IMetric[], width = 12) => new cloudwatch.GraphWidget({ title, left, width, height: 6 });
    this.dashboard.addWidgets(
      graph('Requests and errors', [stage.metricCount(sum), stage.metricClientError(sum), stage.metricServerError(sum)]),
      graph('Authorizer decisions', [this.metric('Allowed'), this.metric('Denied')]),
    );
    this.dashboard.addWidgets(
      graph('Denied by reason', [
        new cloudwatch.MathExpression({
          expression: `SEARCH('{${this.namespace},reason,service} MetricName="Denied"', 'Sum', ${PERIOD.toSeconds()})`,
          label: '',
          period: PERIOD,
        }),
      ]),
      graph('Latency (p99)', [
        stage.metricLatency({ period: PERIOD, statistic: cloudwatch.Stats.p(99) }),
        stage.metricIntegrationLatency({ period: PERIOD, statistic: cloudwatch.Stats.p(99) }),
        authorizer.metricDuration({ period: PERIOD, statistic: cloudwatch.Stats.p(99) }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Faults (the authorizer failed closed)', [...faults.map((name) => this.metric(name)), authorizer.metricErrors(sum), authorizer.metricThrottles(sum)]),
      // A cache miss is a GetSecretValue call: the Secrets Manager reads that cost money and share the Region's quota.
      graph('Secrets Manager reads (key cache misses) and names refused without one', [
        this.metric(LOOKUP_METRICS.store),
        this.metric(LOOKUP_METRICS.cache),
        this.metric(LOOKUP_METRICS.stale),
        this.metric(LOOKUP_METRICS.index),
      ]),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Key age (days, oldest key that verified a token)',
        left: [keyAge],
        leftAnnotations: props.keyAgeAlarmDays === undefined ? [] : [{ value: props.keyAgeAlarmDays, label: 'key-age alarm' }],
        width: 12,
        height: 6,
      }),
    );
  }

  private keyAgeAlarmOf(keyAge: cloudwatch.Metric, days: number): cloudwatch.Alarm {
    const created = new cloudwatch.Alarm(this, 'KeyAgeAlarm', {
      alarmDescription: `keygate key age: a token was accepted with a key registered more than ${days} days ago; find it with keygate keys list --older-than ${days}d and rotate it`,
      metric: keyAge,
      threshold: days,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    created.addAlarmAction(new actions.SnsAction(this.alarmTopic));
    return created;
  }

  /** A per-deployment keygate metric, summed over 5 minutes. */
  metric(metricName: string): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: this.namespace, metricName, dimensionsMap: SERVICE_DIMENSION, period: PERIOD, statistic: cloudwatch.Stats.SUM });
  }

  private createTopic(email: string | undefined): sns.Topic {
    const topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'keygate alarms', enforceSSL: true });
    if (email !== undefined) topic.addSubscription(new subscriptions.EmailSubscription(email));
    Validations.of(topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names, states and metric values, no request data or key material; CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key, and a customer managed key would add a key policy to run for no protected content.',
    });
    return topic;
  }
}
