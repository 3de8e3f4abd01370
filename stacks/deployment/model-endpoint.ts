import { DataResource, Fn, type ITerraformDependable } from 'cdktf';
import { SagemakerEndpoint } from '@cdktf/provider-aws/lib/sagemaker-endpoint/index.js';
import {
  SagemakerEndpointConfiguration,
  type SagemakerEndpointConfigurationProductionVariants,
} from '@cdktf/provider-aws/lib/sagemaker-endpoint-configuration/index.js';
import { SagemakerModel } from '@cdktf/provider-aws/lib/sagemaker-model/index.js';
import { Construct } from 'constructs';
import { throwIfViolations } from '../../core/errors.js';
import { SHADOW_VARIANT_NAME, VARIANT_NAME } from '../../core/deployment/names.js';
import type { EndpointTarget } from '../../core/deployment/target.js';
import { AWS_NAME_LIMITS } from '../../core/naming.js';

/** SageMaker's limits on a blue/green rollout and on a container's health check. */
export const ROLLOUT_LIMITS = {
  bakeSeconds: { min: 0, max: 3600 },
  maxRolloutMinutes: { min: 10, max: 60 },
  containerStartupTimeoutSeconds: { min: 60, max: 3600 },
} as const;

export interface DataCaptureProps {
  /** The bucket captured requests and responses go to. */
  readonly bucketName: string;
  /** Key prefix under the bucket, without slashes at either end. */
  readonly prefix: string;
  /** Share of requests captured, 1–100. */
  readonly samplingPercent: number;
}

/** A candidate version served as a shadow variant beside the production one. */
export interface ShadowVariantProps {
  /** The MLflow model version of the shadow. */
  readonly modelVersion: string;
  /** Its serving image, `<repository url>:<tag>`. */
  readonly imageUri: string;
  /**
   * Share of live requests SageMaker copies to the shadow, 1–100.
   * @default 100
   */
  readonly samplingPercent?: number;
  /**
   * The shadow variant's name.
   * @default "shadow"
   */
  readonly variantName?: string;
}

export interface ModelEndpointProps {
  /** The endpoint's name; it stays the same across versions, so clients never change. */
  readonly endpointName: string;
  /** The MLflow model version served; part of the model and endpoint configuration names. */
  readonly modelVersion: string;
  /** The serving image, `<repository url>:<tag>`. */
  readonly imageUri: string;
  readonly executionRoleArn: string;
  /** Instances or serverless, from the project's resource requirements. */
  readonly target: EndpointTarget;
  /** Names of the alarms that roll a rollout back. */
  readonly rollbackAlarmNames: string[];
  /**
   * Private subnets and security groups of the container's network interfaces; instance endpoints only.
   * @default undefined — SageMaker's own network
   */
  readonly network?: { readonly subnetIds: string[]; readonly securityGroupIds: string[] };
  /**
   * Run the container without network access; instance endpoints only.
   * @default true for instance endpoints, false for serverless (which does not offer it)
   */
  readonly networkIsolation?: boolean;
  /**
   * Capture requests and responses to S3; instance endpoints only.
   * @default undefined — no capture
   */
  readonly dataCapture?: DataCaptureProps;
  /**
   * How long the new fleet takes all traffic while the alarms are watched, before the old fleet goes.
   * @default 300
   */
  readonly bakeSeconds?: number;
  /**
   * Time limit of a rollout, after which SageMaker rolls back; at most the AWS provider's fixed
   * 60-minute wait for an endpoint.
   * @default 45
   */
  readonly maxRolloutMinutes?: number;
  /**
   * How long a new container may take to answer /ping; instance endpoints only.
   * @default 600
   */
  readonly containerStartupTimeoutSeconds?: number;
  /**
   * Variant name; blue/green needs it unchanged from one configuration to the next.
   * @default "primary"
   */
  readonly variantName?: string;
  /**
   * A second version beside the served one that gets a copy of live requests and answers nobody, on
   * the same instance type and count, its captured data under its own variant path; instance
   * endpoints only (SageMaker Serverless Inference has no shadow variants).
   * @default undefined — no shadow
   */
  readonly shadow?: ShadowVariantProps;
  /** Tags of the endpoint (the CLI reads the served version from them). @default {} */
  readonly endpointTags?: Record<string, string>;
  /** What must exist before SageMaker starts a container (the role's policy, the log group). @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;

/** Characters of the release's id in a model or configuration name. */
const RELEASE_ID_LENGTH = 6;

/**
 * A SageMaker model and endpoint configuration per release, and one endpoint updated in place.
 * Models and configurations are immutable and named `<endpoint>-v<version>-<release id>`, created
 * before the old ones are destroyed; the endpoint moves to a new configuration with a blue/green update
 * that SageMaker rolls back when a rollback alarm fires. Rollout and rollback are the same step.
 * With a shadow, the configuration also names a shadow variant of its own model: adding, replacing,
 * promoting or dropping it is one more configuration, rolled out the same way.
 */
export class ModelEndpoint extends Construct {
  readonly endpoint: SagemakerEndpoint;
  readonly endpointName: string;
  readonly endpointArn: string;
  readonly modelName: string;
  readonly endpointConfigName: string;
  readonly variantName: string;
  /** The shadow's model and variant, when there is one. */
  readonly shadowModelName?: string;
  readonly shadowVariantName?: string;
  /** `s3://bucket/prefix` of captured data, when capture is on. */
  readonly dataCaptureUri?: string;

  constructor(scope: Construct, id: string, props: ModelEndpointProps) {
    super(scope, id);
    const serverless = props.target.kind === 'serverless';
    const variantName = props.variantName ?? VARIANT_NAME;
    const networkIsolation = props.networkIsolation ?? !serverless;
    const bakeSeconds = props.bakeSeconds ?? 300;
    const maxRolloutMinutes = props.maxRolloutMinutes ?? 45;
    const containerStartupTimeoutSeconds = props.containerStartupTimeoutSeconds ?? 600;

    const violations: string[] = [];
    const within = (name: keyof typeof ROLLOUT_LIMITS, value: number) => {
      const { min, max } = ROLLOUT_LIMITS[name];
      if (!Number.isInteger(value) || value < min || value > max) violations.push(`${name} ${value} must be a whole number from ${min} to ${max}`);
    };
    within('bakeSeconds', bakeSeconds);
    within('maxRolloutMinutes', maxRolloutMinutes);
    within('containerStartupTimeoutSeconds', containerStartupTimeoutSeconds);
    if (bakeSeconds >= maxRolloutMinutes * 60) {
      violations.push(`bakeSeconds ${bakeSeconds} must be shorter than the rollout limit maxRolloutMinutes ${maxRolloutMinutes} (${maxRolloutMinutes * 60} s)`);
    }
    if (!/^[1-9]\d*$/.test(props.modelVersion)) violations.push(`modelVersion "${props.modelVersion}" must be a version number`);
    if (serverless && props.network) violations.push('network is not available for serverless endpoints (SageMaker Serverless Inference runs outside your VPC)');
    if (serverless && networkIsolation) violations.push('networkIsolation is not available for serverless endpoints');
    if (serverless && props.dataCapture) violations.push('dataCapture is not available for serverless endpoints');
    if (props.dataCapture) {
      const { samplingPercent, prefix } = props.dataCapture;
      if (!Number.isInteger(samplingPercent) || samplingPercent < 1 || samplingPercent > 100) {
        violations.push(`dataCapture.samplingPercent ${samplingPercent} must be a whole number from 1 to 100 (leave dataCapture out for none)`);
      }
      if (prefix === '' || /^\/|\/$/.test(prefix)) violations.push(`dataCapture.prefix "${prefix}" must not be empty or start or end with "/"`);
    }
    const shadow = props.shadow && {
      ...props.shadow,
      samplingPercent: props.shadow.samplingPercent ?? 100,
      variantName: props.shadow.variantName ?? SHADOW_VARIANT_NAME,
    };
    if (shadow) {
      if (serverless) violations.push('shadow is not available for serverless endpoints (SageMaker Serverless Inference has no shadow variants): deploy on instances or without a shadow');
      if (!/^[1-9]\d*$/.test(shadow.modelVersion)) violations.push(`shadow.modelVersion "${shadow.modelVersion}" must be a version number`);
      if (shadow.modelVersion === props.modelVersion) violations.push(`shadow.modelVersion ${shadow.modelVersion} is the served version: a shadow is another version`);
      if (!Number.isInteger(shadow.samplingPercent) || shadow.samplingPercent < 1 || shadow.samplingPercent > 100) {
        violations.push(`shadow.samplingPercent ${shadow.samplingPercent} must be a whole number from 1 to 100`);
      }
      if (shadow.variantName === variantName) violations.push(`shadow.variantName "${shadow.variantName}" must differ from the served variant's name`);
    }
    if (props.rollbackAlarmNames.length === 0) violations.push('rollbackAlarmNames must name at least one alarm: a rollout without one cannot roll back');
    // The names' last part is filled in by Terraform (see `release` below); their lengths are known here.
    const placeholderId = 'x'.repeat(RELEASE_ID_LENGTH);
    const modelPrefix = `${props.endpointName}-v${props.modelVersion}-`;
    // The shadow's model and the configuration that names both versions get names of their own.
    const shadowModelPrefix = shadow && `${props.endpointName}-v${shadow.modelVersion}-shadow-`;
    const configurationPrefix = shadow ? `${props.endpointName}-v${props.modelVersion}-s${shadow.modelVersion}-` : modelPrefix;
    for (const [what, prefix] of [['model', modelPrefix], ['shadow model', shadowModelPrefix], ['endpoint configuration', configurationPrefix]] as const) {
      const name = prefix && `${prefix}${placeholderId}`;
      if (name && name.length > AWS_NAME_LIMITS.sagemaker) {
        violations.push(`the ${what} name "${name}" is ${name.length} characters; SageMaker allows ${AWS_NAME_LIMITS.sagemaker}: shorten the project, environment or ML project name`);
      }
    }
    if (!SAGEMAKER_NAME.test(props.endpointName)) violations.push(`endpointName "${props.endpointName}" must be letters, digits and single hyphens`);
    throwIfViolations(`ModelEndpoint ${props.endpointName}`, violations);

    // Every argument of a model and of an endpoint configuration forces its replacement: they are
    // built once and given both to the resources and to the release below.
    const modelArguments = (imageUri: string) => ({
      executionRoleArn: props.executionRoleArn,
      primaryContainer: { image: imageUri, mode: 'SingleModel' },
      enableNetworkIsolation: networkIsolation,
      vpcConfig: props.network && { subnets: props.network.subnetIds, securityGroupIds: props.network.securityGroupIds },
    });
    const variantArguments: Omit<SagemakerEndpointConfigurationProductionVariants, 'modelName'> =
      props.target.kind === 'serverless'
        ? { variantName, serverlessConfig: { memorySizeInMb: props.target.memoryMiB, maxConcurrency: props.target.maxConcurrency } }
        : {
            variantName,
            instanceType: props.target.instanceType,
            initialInstanceCount: props.target.instanceCount,
            initialVariantWeight: 1,
            containerStartupHealthCheckTimeoutInSeconds: containerStartupTimeoutSeconds,
          };
    // The shadow's weight against production's 1 is the share of requests copied to it.
    const shadowVariantArguments =
      shadow && props.target.kind === 'instance'
        ? {
            variantName: shadow.variantName,
            instanceType: props.target.instanceType,
            initialInstanceCount: props.target.instanceCount,
            initialVariantWeight: shadow.samplingPercent / 100,
            containerStartupHealthCheckTimeoutInSeconds: containerStartupTimeoutSeconds,
          }
        : undefined;
    this.dataCaptureUri = props.dataCapture && `s3://${props.dataCapture.bucketName}/${props.dataCapture.prefix}`;
    const dataCaptureConfig = props.dataCapture && {
      enableCapture: true,
      initialSamplingPercentage: props.dataCapture.samplingPercent,
      destinationS3Uri: this.dataCaptureUri!,
      captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
      // Recorded as text instead of base64, so `mlops monitor` can read the requests.
      captureContentTypeHeader: { jsonContentTypes: ['application/json'], csvContentTypes: ['text/csv'] },
    };
    // One release per set of arguments: Terraform replaces it whenever any of them changes, values
    // only known at apply included (subnets read from SSM, a replaced role's ARN), and its new random
    // id renames models and configuration, so create-before-destroy never meets an old name; an
    // unchanged release keeps its id and the plan stays empty. (A hash of the values would repeat the
    // old name when a replaced resource comes back with the same ARN or URL.) Adding, promoting or
    // dropping a shadow is a new release too.
    const release = new DataResource(this, 'release', {
      triggersReplace: {
        modelVersion: props.modelVersion,
        model: modelArguments(props.imageUri),
        variant: variantArguments,
        dataCapture: dataCaptureConfig ?? null,
        shadow: shadow ? { modelVersion: shadow.modelVersion, model: modelArguments(shadow.imageUri), variant: shadowVariantArguments ?? null } : null,
      },
    });
    const releaseId = Fn.substr(release.id, 0, RELEASE_ID_LENGTH);

    const model = new SagemakerModel(this, 'model', {
      name: `${modelPrefix}${releaseId}`,
      ...modelArguments(props.imageUri),
      dependsOn: props.dependsOn,
      lifecycle: { createBeforeDestroy: true },
    });
    const shadowModel =
      shadow &&
      new SagemakerModel(this, 'shadow-model', {
        name: `${shadowModelPrefix}${releaseId}`,
        ...modelArguments(shadow.imageUri),
        dependsOn: props.dependsOn,
        lifecycle: { createBeforeDestroy: true },
      });
    const configuration = new SagemakerEndpointConfiguration(this, 'configuration', {
      name: `${configurationPrefix}${releaseId}`,
      productionVariants: [{ ...variantArguments, modelName: model.name }],
      shadowProductionVariants: shadowVariantArguments && [{ ...shadowVariantArguments, modelName: shadowModel!.name }],
      dataCaptureConfig,
      lifecycle: { createBeforeDestroy: true },
    });

    this.endpoint = new SagemakerEndpoint(this, 'endpoint', {
      name: props.endpointName,
      endpointConfigName: configuration.name,
      deploymentConfig: {
        blueGreenUpdatePolicy: {
          trafficRoutingConfiguration: { type: 'ALL_AT_ONCE', waitIntervalInSeconds: bakeSeconds },
          maximumExecutionTimeoutInSeconds: maxRolloutMinutes * 60,
        },
        autoRollbackConfiguration: { alarms: props.rollbackAlarmNames.map((alarmName) => ({ alarmName })) },
      },
      tags: props.endpointTags,
      dependsOn: props.dependsOn,
    });
    this.endpointName = this.endpoint.name;
    this.endpointArn = this.endpoint.arn;
    this.modelName = model.name;
    this.endpointConfigName = configuration.name;
    this.variantName = variantName;
    this.shadowModelName = shadowModel?.name;
    this.shadowVariantName = shadow?.variantName;
  }
}
