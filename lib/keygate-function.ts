import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The newest Node.js runtime aws-cdk-lib knows; cdk-nag (AwsSolutions-L1) flags anything older. */
export const KEYGATE_RUNTIME = lambda.Runtime.NODEJS_24_X;
/** esbuild's name for the same Node.js version ('nodejs24.x' → 'node24'). */
const ESBUILD_TARGET = KEYGATE_RUNTIME.name.replace(/^nodejs(\d+)\.x$/, 'node$1');

export type PowertoolsLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface KeygateFunctionProps {
  /** Absolute path of the TypeScript entry file; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  /** Extra environment variables (the keygate settings). @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'INFO' */
  readonly logLevel?: PowertoolsLogLevel;
  /** CloudWatch namespace of the function's EMF metrics. @default 'keygate' */
  readonly metricNamespace?: string;
}

/**
 * The house Lambda function: Node.js on ARM64, an ESM bundle built by the local esbuild (never
 * Docker), its own log group with a retention, and a role that may write only to that log group.
 */
export class KeygateFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: KeygateFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // An own role instead of the default one, which carries the AWSLambdaBasicExecutionRole
    // managed policy (logs:* on every log group).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }),
    );

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: KEYGATE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'keygate',
        POWERTOOLS_METRICS_NAMESPACE: props.metricNamespace ?? 'keygate',
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: nodejs.OutputFormat.ESM,
        mainFields: ['module', 'main'],
        target: ESBUILD_TARGET,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // The AWS SDK is bundled (externalModules is empty): the runtime's copy floats between
        // versions, and a pinned, tested SDK is the safe default.
        externalModules: [],
        esbuildArgs: { '--tree-shaking': 'true' },
        // Some bundled CommonJS dependencies call require(); ESM has none unless it is created.
        banner: "import { createRequire as __keygateCreateRequire } from 'node:module'; const require = __keygateCreateRequire(import.meta.url);",
      },
    });
  }
}
