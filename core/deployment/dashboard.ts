import { CUSTOM_METRICS } from './names.js';

/** What the dashboard of one endpoint shows; every field is known when the stack is synthesized. */
export interface DashboardInput {
  readonly region: string;
  readonly endpointName: string;
  readonly variantName: string;
  readonly serverless: boolean;
  /** Namespace of the model and data metrics the CLI publishes. */
  readonly metricsNamespace: string;
  readonly mlProject: string;
  readonly modelVersion: string;
  /** The deployed version's MLflow run metrics (accuracy, f1_macro, …). */
  readonly modelMetricNames: readonly string[];
  /** The model's input features, compared between the training baseline and captured requests. */
  readonly features: readonly string[];
  /** Whether requests are captured (off for serverless, or a sampling rate of 0). */
  readonly dataCapture: boolean;
  /** ARNs of the rollback alarms (Terraform references are fine: they resolve inside the body). */
  readonly alarmArns: readonly string[];
  /** The shadow variant beside the serving one, when the endpoint carries one. @default undefined — no shadow row */
  readonly shadow?: { readonly variantName: string; readonly modelVersion: string };
}

type Metric = (string | Record<string, unknown>)[];
interface Widget {
  type: 'metric' | 'text' | 'alarm';
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown>;
}

const FULL_WIDTH = 24;
const GRAPH_HEIGHT = 6;

/** Lays widgets left to right, wrapping at the dashboard's 24 columns; returns the next free row. */
function place(widgets: Omit<Widget, 'x' | 'y'>[], top: number): { placed: Widget[]; bottom: number } {
  const placed: Widget[] = [];
  let x = 0;
  let y = top;
  let rowHeight = 0;
  for (const widget of widgets) {
    if (x + widget.width > FULL_WIDTH) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    placed.push({ ...widget, x, y });
    x += widget.width;
    rowHeight = Math.max(rowHeight, widget.height);
  }
  return { placed, bottom: y + rowHeight };
}

const header = (markdown: string): Omit<Widget, 'x' | 'y'> => ({ type: 'text', width: FULL_WIDTH, height: 1, properties: { markdown } });

const graphOf =
  (region: string) =>
  (title: string, metrics: Metric[], extra: Record<string, unknown> = {}): Omit<Widget, 'x' | 'y'> => ({
    type: 'metric',
    width: 6,
    height: GRAPH_HEIGHT,
    properties: { title, region, view: 'timeSeries', stacked: false, period: 60, metrics, ...extra },
  });

/**
 * Shadow beside production: SageMaker's invocation, latency and error metrics of both variants in
 * the same graphs, then what `mlops monitor` publishes from the captured answers to the same
 * requests (agreement or error figures, and each side's prediction distribution).
 */
function shadowRow(input: DashboardInput, shadow: NonNullable<DashboardInput['shadow']>): Omit<Widget, 'x' | 'y'>[] {
  const { region, endpointName, metricsNamespace: namespace } = input;
  const graph = graphOf(region);
  const names = CUSTOM_METRICS.shadow;
  const variants = [
    { variant: input.variantName, version: input.modelVersion, label: `production v${input.modelVersion}` },
    { variant: shadow.variantName, version: shadow.modelVersion, label: `shadow v${shadow.modelVersion}` },
  ];
  const both = (name: string, stat: string, suffix = ''): Metric[] =>
    variants.map(({ variant, label }) => ['AWS/SageMaker', name, 'EndpointName', endpointName, 'VariantName', variant, { stat, label: `${label}${suffix}` }]);
  const pair = [
    CUSTOM_METRICS.dimensions.project,
    input.mlProject,
    CUSTOM_METRICS.dimensions.version,
    shadow.modelVersion,
    names.dimensions.productionVersion,
    input.modelVersion,
  ];
  const comparison = (name: string, label: string): Metric => [namespace, name, ...pair, { label, stat: 'Average' }];
  const sideDimensions = (variant: string, version: string) =>
    `${CUSTOM_METRICS.dimensions.project}="${input.mlProject}" ${CUSTOM_METRICS.dimensions.version}="${version}" ${names.dimensions.variant}="${variant}"`;
  // Classes are only known from the answers, so the shares are found by a search over the Class dimension.
  const shareSearches: Metric[] = variants.map(({ variant, version, label }, index) => [
    {
      expression: `SEARCH('{${namespace},${CUSTOM_METRICS.dimensions.project},${CUSTOM_METRICS.dimensions.version},${names.dimensions.variant},${names.dimensions.predictedClass}} MetricName="${names.predictionShare}" ${sideDimensions(variant, version)}', 'Average', 3600)`,
      id: `share${index}`,
      label: `${label} class`,
    },
  ]);
  return [
    header(`## Shadow: version ${shadow.modelVersion} gets a copy of the requests version ${input.modelVersion} serves, and answers nobody`),
    graph('Shadow vs production: invocations', both('Invocations', 'Sum')),
    graph('Shadow vs production: model latency (µs)', both('ModelLatency', 'Average')),
    graph('Shadow vs production: errors', [...both('Invocation4XXErrors', 'Sum', ' 4XX'), ...both('Invocation5XXErrors', 'Sum', ' 5XX')]),
    graph(
      'Shadow vs production: same requests (`mlops monitor`)',
      [
        comparison(names.agreementPercent, 'agreement % (classifier)'),
        comparison(names.meanAbsoluteError, 'mean absolute error (regressor)'),
        comparison(names.rootMeanSquaredError, 'RMSE (regressor)'),
        comparison(names.meanError, 'mean shadow − production (regressor)'),
        [namespace, names.comparedPredictions, ...pair, { label: 'predictions compared', stat: 'Sum', yAxis: 'right' }],
      ],
      { period: 3600 },
    ),
    graph('Prediction distribution: class shares %', shareSearches, { period: 3600 }),
    graph(
      'Prediction distribution: mean prediction',
      variants.map(({ variant, version, label }) => [
        namespace,
        names.predictionMean,
        CUSTOM_METRICS.dimensions.project,
        input.mlProject,
        CUSTOM_METRICS.dimensions.version,
        version,
        names.dimensions.variant,
        variant,
        { label, stat: 'Average' },
      ]),
      { period: 3600 },
    ),
  ];
}

/**
 * The CloudWatch dashboard body of one endpoint, as three rows (four with a shadow, whose row follows the endpoint's): endpoint metrics (traffic, latency,
 * errors, utilisation, and the rollback alarms), the deployed version's model metrics, and per
 * input feature the training baseline next to the same statistics over captured requests.
 */
export function buildDashboardBody(input: DashboardInput): { widgets: Widget[] } {
  const { region, endpointName, variantName } = input;
  const endpoint = ['EndpointName', endpointName, 'VariantName', variantName];
  const sagemaker = (name: string, options: Record<string, unknown> = {}): Metric => ['AWS/SageMaker', name, ...endpoint, options];
  const instance = (name: string): Metric => ['/aws/sagemaker/Endpoints', name, ...endpoint, { label: name }];
  const graph = graphOf(region);

  const endpointRow = [
    header(`## Endpoint ${endpointName} (model version ${input.modelVersion})`),
    graph('Invocations', [
      sagemaker('Invocations', { stat: 'Sum', label: 'Invocations' }),
      sagemaker('InvocationsPerInstance', { stat: 'Sum', label: 'InvocationsPerInstance' }),
    ]),
    graph('Latency (µs)', [
      sagemaker('ModelLatency', { stat: 'Average', label: 'ModelLatency' }),
      sagemaker('OverheadLatency', { stat: 'Average', label: 'OverheadLatency' }),
    ]),
    graph('Errors', [
      sagemaker('Invocation4XXErrors', { stat: 'Sum', label: '4XX' }),
      sagemaker('Invocation5XXErrors', { stat: 'Sum', label: '5XX' }),
    ]),
    input.serverless
      ? graph('Cold starts (serverless)', [sagemaker('ModelSetupTime', { stat: 'Average', label: 'ModelSetupTime (µs)' })])
      : graph('Utilisation (%)', [instance('CPUUtilization'), instance('MemoryUtilization'), instance('DiskUtilization')]),
    {
      type: 'alarm' as const,
      width: FULL_WIDTH,
      height: 2,
      properties: { title: 'Rollback alarms (a blue/green rollout rolls back when one fires)', alarms: [...input.alarmArns] },
    },
  ];

  const modelDimensions = [CUSTOM_METRICS.dimensions.project, input.mlProject, CUSTOM_METRICS.dimensions.version, input.modelVersion];
  const modelRow = [
    header(`## Model ${input.mlProject} version ${input.modelVersion}: MLflow run metrics (namespace ${input.metricsNamespace})`),
    input.modelMetricNames.length > 0
      ? {
          type: 'metric' as const,
          width: FULL_WIDTH,
          height: 4,
          properties: {
            title: `Run metrics of version ${input.modelVersion}`,
            region,
            view: 'singleValue',
            stat: 'Maximum',
            period: 86_400,
            setPeriodToTimeRange: true,
            metrics: input.modelMetricNames.map((name) => [input.metricsNamespace, name, ...modelDimensions, { label: name }]),
          },
        }
      : header('The run that registered this version logged no metrics.'),
  ];

  const featureMetric = (metric: string, feature: string, source: string, label: string): Metric => [
    input.metricsNamespace,
    metric,
    ...modelDimensions,
    CUSTOM_METRICS.dimensions.feature,
    feature,
    CUSTOM_METRICS.dimensions.source,
    source,
    { label, stat: 'Average' },
  ];
  const { baseline, captured } = CUSTOM_METRICS.sources;
  const dataRow = [
    header(
      `## Data: training baseline vs captured requests${input.dataCapture ? ' (published by `mlops monitor`)' : ' — data capture is off for this endpoint'}`,
    ),
    ...input.features.map((feature) =>
      graph(
        feature,
        [
          featureMetric(CUSTOM_METRICS.featureMean, feature, baseline, 'baseline mean'),
          featureMetric(CUSTOM_METRICS.featureMean, feature, captured, 'captured mean'),
          featureMetric(CUSTOM_METRICS.featureStd, feature, baseline, 'baseline std'),
          featureMetric(CUSTOM_METRICS.featureStd, feature, captured, 'captured std'),
        ],
        { period: 3600 },
      ),
    ),
  ];
  if (input.features.length === 0) dataRow.push(header('The model has no signature or baseline naming its input features.'));

  const widgets: Widget[] = [];
  let top = 0;
  for (const row of [endpointRow, ...(input.shadow ? [shadowRow(input, input.shadow)] : []), modelRow, dataRow]) {
    const { placed, bottom } = place(row, top);
    widgets.push(...placed);
    top = bottom;
  }
  return { widgets };
}
