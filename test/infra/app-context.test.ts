import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContextError, readKeygateContext } from '../../bin/app.js';
import { createSelfSignedCa, issueCertificate } from '../../cli/pki/x509.js';
import { KeygateApi, KeygateApiError, type KeygateApiProps } from '../../lib/keygate-api.js';
import { TruststoreError } from '../../lib/truststore/check-truststore.js';
import { baseContext, buildApp, caChain, CERTIFICATE_ARN, clientCa, keygateApiProps, tempDir, writePem } from './support.js';

const temp = tempDir();
afterAll(() => temp.cleanup());

let truststore: string;
beforeAll(async () => {
  truststore = writePem(temp.dir, 'good.pem', (await clientCa()).certificatePem);
});

function contextOf(context: Record<string, unknown>, env: Record<string, string> = {}) {
  return readKeygateContext(new App({ context }), env);
}

describe('reading context', () => {
  it('reads every value, with the account and region of the certificate when nothing else is given', () => {
    const context = contextOf({
      ...baseContext(truststore),
      domainName: 'API.Example.com',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      hostedZoneName: 'example.com.',
      backendUrl: 'https://backend.example.com',
      supportPrincipalArns: 'arn:aws:iam::111122223333:role/Support,arn:aws:iam::111122223333:user/bob',
      authorizerCacheSeconds: '0',
      createCloudWatchRole: 'false',
      certificateRevocation: 'true',
      defaultBinding: 'subject',
      alarmEmail: 'ops@example.com',
    });

    expect(context).toEqual({
      domainName: 'api.example.com',
      certificateArn: CERTIFICATE_ARN,
      truststore,
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      hostedZoneName: 'example.com',
      backendUrl: 'https://backend.example.com',
      supportPrincipalArns: ['arn:aws:iam::111122223333:role/Support', 'arn:aws:iam::111122223333:user/bob'],
      trustAccountForSupport: false,
      alarmEmail: 'ops@example.com',
      authorizerCacheSeconds: 0,
      createCloudWatchRole: false,
      replayProtection: false,
      certificateRevocation: true,
      defaultBinding: 'subject',
      account: '111122223333',
      region: 'eu-west-1',
    });
  });

  it('applies the defaults and accepts cdk.json types (arrays, numbers, booleans)', () => {
    const defaults = contextOf(baseContext(truststore));
    const typed = contextOf({ ...baseContext(truststore), supportPrincipalArns: ['arn:aws:iam::111122223333:root'], authorizerCacheSeconds: 60, createCloudWatchRole: false });
    const wholeAccount = contextOf({ ...baseContext(truststore), supportPrincipalArns: undefined, trustAccountForSupport: true });

    const features = contextOf({ ...baseContext(truststore), replayProtection: true, certificateRevocation: false, defaultBinding: 'thumbprint' });

    expect(defaults).toMatchObject({
      supportPrincipalArns: ['arn:aws:iam::111122223333:role/SupportStaff'],
      trustAccountForSupport: false,
      alarmEmail: undefined,
      authorizerCacheSeconds: 0,
      createCloudWatchRole: true,
      backendUrl: undefined,
      hostedZoneId: undefined,
      replayProtection: false,
      certificateRevocation: false,
      defaultBinding: 'none',
    });
    expect(typed).toMatchObject({ supportPrincipalArns: ['arn:aws:iam::111122223333:root'], authorizerCacheSeconds: 60, createCloudWatchRole: false });
    expect(wholeAccount).toMatchObject({ supportPrincipalArns: [], trustAccountForSupport: true });
    expect(features).toMatchObject({ replayProtection: true, certificateRevocation: false, defaultBinding: 'thumbprint', authorizerCacheSeconds: 0 });
  });

  it('uses CDK_DEFAULT_ACCOUNT when it matches the certificate', () => {
    expect(contextOf(baseContext(truststore), { CDK_DEFAULT_ACCOUNT: '111122223333', CDK_DEFAULT_REGION: 'us-east-1' })).toMatchObject({
      account: '111122223333',
      region: 'eu-west-1',
    });
  });
});

describe('fails with one line naming the context key and the fix when', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp, Record<string, string>?]> = [
    ['domainName is missing', { domainName: undefined }, /^context "domainName" is missing: pass -c domainName=/],
    ['domainName is not a DNS name', { domainName: 'https://api.example.com' }, /^context "domainName" is "https:\/\/api.example.com", not a DNS name/],
    ['certificateArn is missing', { certificateArn: undefined }, /^context "certificateArn" is missing: pass -c certificateArn=arn:aws:acm:/],
    ['certificateArn is not an ACM ARN', { certificateArn: 'arn:aws:iam::111122223333:server-certificate/x' }, /^context "certificateArn" is "arn:aws:iam::.*", not an ACM certificate ARN/],
    ['truststore is missing', { truststore: undefined }, /^context "truststore" is missing: pass -c truststore=/],
    ['truststore is not a file', { truststore: '/nonexistent/bundle.pem' }, /^context "truststore" names \/nonexistent\/bundle.pem, which is not a file/],
    ['truststore is a directory', { truststore: '.' }, /^context "truststore" names .*, which is not a file/],
    ['hostedZoneId comes without hostedZoneName', { hostedZoneId: 'Z0123456789ABCDEFGHIJ' }, /^context "hostedZoneName" is missing: pass both/],
    ['hostedZoneName comes without hostedZoneId', { hostedZoneName: 'example.com' }, /^context "hostedZoneId" is missing: pass both/],
    ['hostedZoneId is malformed', { hostedZoneId: 'zone-1', hostedZoneName: 'example.com' }, /^context "hostedZoneId" is "zone-1"/],
    ['hostedZoneName does not contain the domain', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', hostedZoneName: 'example.org' }, /^context "hostedZoneName" is example.org, which does not contain api.example.com/],
    ['backendUrl is plain HTTP', { backendUrl: 'http://backend.example.com' }, /^context "backendUrl" is "http:\/\/backend.example.com": pass an https:\/\/ URL/],
    ['backendUrl has a query', { backendUrl: 'https://backend.example.com/?a=1' }, /^context "backendUrl" is "https:\/\/backend.example.com\/\?a=1"/],
    ['backendUrl is not a URL', { backendUrl: 'backend' }, /^context "backendUrl" is "backend"/],
    ['supportPrincipalArns has a bad entry', { supportPrincipalArns: 'arn:aws:iam::111122223333:role/Ok,alice' }, /^context "supportPrincipalArns" contains "alice": pass comma-separated IAM ARNs/],
    [
      'supportPrincipalArns is missing',
      { supportPrincipalArns: undefined },
      /^context "supportPrincipalArns" is missing: pass -c supportPrincipalArns=arn:aws:iam::<account>:role\/<name>\[,…\] \(who may manage keys\), or -c trustAccountForSupport=true to trust the whole account$/,
    ],
    ['supportPrincipalArns is empty', { supportPrincipalArns: ' , ' }, /^context "supportPrincipalArns" is missing/],
    ['trustAccountForSupport comes with supportPrincipalArns', { trustAccountForSupport: 'true' }, /^context "trustAccountForSupport" is true but supportPrincipalArns is set: pass one of them$/],
    ['trustAccountForSupport is not a boolean', { supportPrincipalArns: undefined, trustAccountForSupport: 'yes' }, /^context "trustAccountForSupport" is "yes": pass true or false$/],
    ['alarmEmail is not an address', { alarmEmail: 'ops' }, /^context "alarmEmail" is "ops": pass an e-mail address/],
    ['authorizerCacheSeconds is above 300', { authorizerCacheSeconds: '301' }, /^context "authorizerCacheSeconds" is "301": pass a whole number of seconds from 0 to 300/],
    ['authorizerCacheSeconds is negative', { authorizerCacheSeconds: '-1' }, /^context "authorizerCacheSeconds" is "-1"/],
    ['authorizerCacheSeconds is not a whole number', { authorizerCacheSeconds: '1.5' }, /^context "authorizerCacheSeconds" is "1.5"/],
    ['authorizerCacheSeconds is a word', { authorizerCacheSeconds: 'five' }, /^context "authorizerCacheSeconds" is "five"/],
    ['createCloudWatchRole is not a boolean', { createCloudWatchRole: 'yes' }, /^context "createCloudWatchRole" is "yes": pass true or false/],
    ['replayProtection is not a boolean', { replayProtection: 'yes' }, /^context "replayProtection" is "yes": pass true or false$/],
    ['certificateRevocation is not a boolean', { certificateRevocation: 'on' }, /^context "certificateRevocation" is "on": pass true or false$/],
    [
      'replay protection is on with an authorizer cache',
      { replayProtection: 'true', authorizerCacheSeconds: '60' },
      /^context "authorizerCacheSeconds" is 60 but replayProtection is on: a cached Allow would skip the replay check; pass -c authorizerCacheSeconds=0/,
    ],
    ['replay protection is on with an authorizer cache (cdk.json types)', { replayProtection: true, authorizerCacheSeconds: 1 }, /^context "authorizerCacheSeconds" is 1 but replayProtection is on/],
    ['certificate revocation with an authorizer cache', { certificateRevocation: 'true', authorizerCacheSeconds: '30' }, /^context "authorizerCacheSeconds" is 30 but certificateRevocation is on: a cached decision is reused whatever client certificate/],
    ['a default binding with an authorizer cache', { defaultBinding: 'thumbprint', authorizerCacheSeconds: '30' }, /^context "authorizerCacheSeconds" is 30 but defaultBinding is thumbprint/],
    ['defaultBinding is not a policy', { defaultBinding: 'cn' }, /^context "defaultBinding" is "cn": pass one of none, subject, thumbprint \(default none\)$/],
    ['defaultBinding has the wrong case', { defaultBinding: 'Subject' }, /^context "defaultBinding" is "Subject"/],
    ['a value is an object', { domainName: { name: 'api.example.com' } }, /^context "domainName" is \{"name":"api.example.com"\}: give a string/],
    ['region differs from the certificate', { region: 'us-east-1' }, /^context "certificateArn" is in eu-west-1 but the stacks deploy to us-east-1/],
    ['region is malformed', { region: 'Ireland' }, /^context "region" is "Ireland"/],
    ['account is malformed', { account: '1234' }, /^context "account" is "1234"/],
    ['the credentials are for another account', {}, /^context "certificateArn" belongs to account 111122223333 but the stacks deploy to 999999999999/, { CDK_DEFAULT_ACCOUNT: '999999999999' }],
  ];

  it.each(cases)('%s', (_name, override, message, env = {}) => {
    const attempt = () => contextOf({ ...baseContext(truststore), ...override }, env);

    expect(attempt).toThrow(ContextError);
    expect(attempt).toThrow(message);
    expect(() => attempt()).toThrow(/^[^\n]+$/);
  });
});

describe('fails at synth with the truststore path and the certificate when the truststore', () => {
  const DAY = 86_400_000;
  const cases: Array<[string, () => Promise<string>, RegExp]> = [
    ['is empty', async () => '', /the truststore is empty/],
    [
      'holds an expired CA',
      async () => (await createSelfSignedCa({ subject: 'CN=Expired CA', notBefore: new Date(Date.now() - 90 * DAY), notAfter: new Date(Date.now() - DAY) })).certificatePem,
      /certificate #1 \(CN=Expired CA\) expired on/,
    ],
    [
      'holds a certificate that is not a CA',
      async () => (await issueCertificate({ issuer: await clientCa(), profile: 'client', subject: 'CN=leaf' })).certificatePem,
      /certificate #1 \(CN=leaf\) is not a CA certificate/,
    ],
    ['holds a 1024-bit RSA CA', async () => (await createSelfSignedCa({ subject: 'CN=Small CA', key: { kind: 'rsa', bits: 1024 } })).certificatePem, /certificate #1 \(CN=Small CA\) has a 1024-bit RSA key/],
    ['holds a SHA-1 signed CA', async () => (await createSelfSignedCa({ subject: 'CN=Sha1 CA', hash: 'SHA-1' })).certificatePem, /certificate #1 \(CN=Sha1 CA\) is signed with SHA-1/],
    ['has a chain five deep', async () => (await caChain(5)).map((c) => c.certificatePem).join(''), /certificate #5 \(CN=Level 5 CA\) is 5 certificates deep/],
    [
      'contains a private key',
      async () => {
        const ca = await clientCa();
        return ca.certificatePem + ca.privateKeyPem;
      },
      /block #2 is a PRIVATE KEY/,
    ],
  ];

  it.each(cases)('%s', async (name, pem, message) => {
    const path = writePem(temp.dir, `${name.replace(/\W+/g, '-')}.pem`, await pem());

    const attempt = () => buildApp(join(temp.dir, 'out'), baseContext(path));

    expect(attempt).toThrow(TruststoreError);
    expect(attempt).toThrow(new RegExp(`^the truststore ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not usable: .*${message.source}`));
  });
});

describe('KeygateApi props', () => {
  function attempt(override: Partial<KeygateApiProps>) {
    const stack = new Stack(new App(), 'Test', { env: { account: '111122223333', region: 'eu-west-1' } });
    return () => new KeygateApi(stack, 'Keygate', keygateApiProps(stack, truststore, override));
  }

  it.each<[string, Partial<KeygateApiProps>, RegExp]>([
    ['a setting is out of range', { settings: { clockSkewSeconds: 301 } }, /^KeygateApi: invalid settings: KEYGATE_CLOCK_SKEW_SECONDS="301" is invalid: expected an integer from 0 to 300/],
    ['minKeyBits is above maxKeyBits', { settings: { minKeyBits: 4096, maxKeyBits: 3072 } }, /KEYGATE_MIN_KEY_BITS=4096 is above KEYGATE_MAX_KEY_BITS=3072/],
    ['the secret prefix has a colon', { settings: { secretPrefix: 'keys:' } }, /KEYGATE_SECRET_PREFIX="keys:" is invalid/],
    ['the authorizer cache is above 300 s', { authorizerCacheTtl: Duration.seconds(301) }, /^KeygateApi: authorizerCacheTtl 301s is invalid: use 0 to 300 seconds/],
    ['the authorizer cache outlives tokens', { authorizerCacheTtl: Duration.seconds(120), settings: { maxTokenLifetimeSeconds: 60 } }, /authorizerCacheTtl 120s is invalid: .*maximum token lifetime \(60s\)/],
    ['the domain is not a DNS name', { domainName: 'api_example' }, /^KeygateApi: domainName "api_example" is not a lowercase DNS name/],
    ['the backend is not HTTPS', { backendUrl: 'http://backend' }, /^KeygateApi: backendUrl "http:\/\/backend" must be an https:\/\/ URL/],
    ['the stage name is bad', { stageName: 'v1/beta' }, /^KeygateApi: stageName "v1\/beta" may use only/],
    ['throttling is not positive', { throttling: { rateLimit: 0, burstLimit: 10 } }, /^KeygateApi: throttling \{"rateLimit":0,"burstLimit":10\} is invalid/],
    [
      'the domain is outside the hosted zone',
      { hostedZone: route53.HostedZone.fromHostedZoneAttributes(new Stack(), 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.org.' }) },
      /^KeygateApi: domainName api.example.com is not inside the hosted zone example.org/,
    ],
    ['the truststore cannot be read', { truststorePath: join(temp.dir, 'missing.pem') }, /^KeygateMtlsDomain: cannot read the truststore .*missing\.pem/],
    [
      'no support principal is named',
      { supportPrincipals: [] },
      /^KeygateApi: supportPrincipals is empty: name the principals allowed to manage keys, or set trustAccountForSupport: true to trust every principal of the account$/,
    ],
    ['support principals come with trustAccountForSupport', { trustAccountForSupport: true }, /^KeygateApi: supportPrincipals and trustAccountForSupport are both set: keep one$/],
    ['the metric namespace is reserved', { metricNamespace: 'AWS/Keygate' }, /^KeygateApi: metricNamespace "AWS\/Keygate" is invalid/],
  ])('fails when %s', (_name, override, message) => {
    expect(attempt(override)).toThrow(KeygateApiError);
    expect(attempt(override)).toThrow(message);
  });
});
