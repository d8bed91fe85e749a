import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeygateApi, KeygateApiError, type KeygateApiProps } from '../../lib/keygate-api.js';
import { CDK_JSON_CONTEXT, CFN_LINT_TEST_TIMEOUT_MS, clientCa, expectCfnLintClean, keygateApiProps, templatesIn, tempDir, writePem } from './support.js';

const temp = tempDir();
afterAll(() => temp.cleanup());

let truststore: string;
beforeAll(async () => {
  truststore = writePem(temp.dir, 'truststore.pem', (await clientCa()).certificatePem);
});

/** A stack holding only a KeygateApi, with the app's feature flags and cdk-nag, synthesized into `outdir`. */
function keygateStack(override: Partial<KeygateApiProps>, outdir = join(temp.dir, `app-${Math.random().toString(36).slice(2)}`)) {
  const app = new App({ outdir, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'KeyAge', { env: { account: '111122223333', region: 'eu-west-1' } });
  const api = new KeygateApi(stack, 'Keygate', keygateApiProps(stack, truststore, override));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, api };
}

const authorizerVariables = (stack: Stack) =>
  Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('REQUEST authorizer') } }))[0]?.['Properties']['Environment'][
    'Variables'
  ] as Record<string, string>;

/** The dashboard's key-age graph: its metrics and annotations (references in the body stand as "?"). */
function keyAgeWidget(template: Template): Record<string, unknown> | undefined {
  const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0];
  const parts = dashboard?.['Properties']['DashboardBody']['Fn::Join'][1] as unknown[];
  const body = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : '?')).join('')) as { widgets: { properties: Record<string, unknown> }[] };
  const widget = body.widgets.find((each) => each.properties['title'] === 'Key age (days, oldest key that verified a token)');
  if (!widget) return undefined;
  const { metrics, annotations } = widget.properties;
  return annotations === undefined ? { metrics } : { metrics, annotations };
}

describe('key age in the construct', () => {
  let built: ReturnType<typeof keygateStack>;
  let template: Template;
  beforeAll(() => {
    built = keygateStack({ settings: { maxKeyAgeDays: 400 }, keyAgeAlarmDays: 365 });
    template = Template.fromStack(built.stack);
  });

  it('gives the authorizer KEYGATE_MAX_KEY_AGE_DAYS from settings.maxKeyAgeDays (registration does not need it)', () => {
    expect(authorizerVariables(built.stack)).toMatchObject({ KEYGATE_MAX_KEY_AGE_DAYS: '400' });
    const registration = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('registration API') } }))[0];
    expect(registration?.['Properties']['Environment']['Variables']).not.toHaveProperty('KEYGATE_MAX_KEY_AGE_DAYS');
  });

  it('alarms when the hourly maximum of KeyAgeDays is above keyAgeAlarmDays, notifying the alarm topic', () => {
    expect(built.api.monitoring.keyAgeAlarm).toBeDefined();
    expect(built.api.monitoring.alarms).toContain(built.api.monitoring.keyAgeAlarm);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'keygate/KeyAge',
      MetricName: 'KeyAgeDays',
      Dimensions: [{ Name: 'service', Value: 'keygate' }],
      Statistic: 'Maximum',
      Period: 3600,
      Threshold: 365,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmTopic') }],
      AlarmDescription: Match.stringLikeRegexp('keygate keys list --older-than 365d'),
    });
  });

  it('graphs the hourly maximum of KeyAgeDays on the dashboard, with the alarm threshold', () => {
    expect(keyAgeWidget(template)).toEqual({
      metrics: [['keygate/KeyAge', 'KeyAgeDays', 'service', 'keygate', { period: 3600, stat: 'Maximum' }]],
      annotations: { horizontal: [{ value: 365, label: 'key-age alarm', yAxis: 'left' }] },
    });
  });

  it('cdk-nag finds nothing unacknowledged and cfn-lint reports no errors', { timeout: CFN_LINT_TEST_TIMEOUT_MS }, () => {
    const assembly = built.app.synth({ force: true });
    const templates = templatesIn(assembly.directory);
    expect(templates).toHaveLength(1);
    expectCfnLintClean(templates);
  });
});

describe('key age off (the default)', () => {
  it('writes no KEYGATE_MAX_KEY_AGE_DAYS and creates no key-age alarm, but still graphs the age', () => {
    const { stack, api } = keygateStack({});
    const template = Template.fromStack(stack);
    expect(authorizerVariables(stack)).not.toHaveProperty('KEYGATE_MAX_KEY_AGE_DAYS');
    expect(api.monitoring.keyAgeAlarm).toBeUndefined();
    expect(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'KeyAgeDays' } })).toEqual({});
    expect(keyAgeWidget(template)).toEqual({ metrics: [['keygate/KeyAge', 'KeyAgeDays', 'service', 'keygate', { period: 3600, stat: 'Maximum' }]] });
  });

  it('alarms without a refusal limit too (watch only)', () => {
    const { stack } = keygateStack({ keyAgeAlarmDays: 730 });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'KeyAgeDays', Threshold: 730 });
    expect(authorizerVariables(stack)).not.toHaveProperty('KEYGATE_MAX_KEY_AGE_DAYS');
  });
});

describe('invalid key-age props are refused at synth', () => {
  it.each<[string, Partial<KeygateApiProps>, RegExp]>([
    ['keyAgeAlarmDays is 0', { keyAgeAlarmDays: 0 }, /^KeygateApi: keyAgeAlarmDays 0 is invalid: use a whole number of days from 1 to 3650$/],
    ['keyAgeAlarmDays is not whole', { keyAgeAlarmDays: 1.5 }, /^KeygateApi: keyAgeAlarmDays 1\.5 is invalid/],
    ['keyAgeAlarmDays is above 3650', { keyAgeAlarmDays: 3651 }, /^KeygateApi: keyAgeAlarmDays 3651 is invalid/],
    [
      'keyAgeAlarmDays is not below maxKeyAgeDays',
      { settings: { maxKeyAgeDays: 365 }, keyAgeAlarmDays: 365 },
      /^KeygateApi: keyAgeAlarmDays 365 is not below settings\.maxKeyAgeDays 365: keys that old are refused, so the alarm could never fire; lower it$/,
    ],
    ['maxKeyAgeDays is 0', { settings: { maxKeyAgeDays: 0 } }, /^KeygateApi: invalid settings: KEYGATE_MAX_KEY_AGE_DAYS="0" is invalid: expected an integer from 1 to 3650/],
    ['maxKeyAgeDays is above 3650', { settings: { maxKeyAgeDays: 5000 } }, /^KeygateApi: invalid settings: KEYGATE_MAX_KEY_AGE_DAYS="5000" is invalid/],
  ])('when %s', (_name, override, message) => {
    expect(() => keygateStack(override)).toThrow(KeygateApiError);
    expect(() => keygateStack(override)).toThrow(message);
  });
});
