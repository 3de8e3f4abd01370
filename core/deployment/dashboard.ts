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

/**
 * The CloudWatch dashboard body of one endpoint, as three rows: endpoint metrics (traffic, latency,
 * errors, utilisation, and the rollback alarms), the deployed version's model metrics, and per
 * input feature the training baseline next to the same statistics over captured requests.
 */
export function buildDashboardBody(input: DashboardInput): { widgets: Widget[] } {
  const { region, endpointName, variantName } = input;
  const endpoint = ['EndpointName', endpointName, 'VariantName', variantName];
  const sagemaker = (name: string, options: Record<string, unknown> = {}): Metric => ['AWS/SageMaker', name, ...endpoint, options];
  const instance = (name: string): Metric => ['/aws/sagemaker/Endpoints', name, ...endpoint, { label: name }];
  const graph = (title: string, metrics: Metric[], extra: Record<string, unknown> = {}): Omit<Widget, 'x' | 'y'> => ({
    type: 'metric',
    width: 6,
    height: GRAPH_HEIGHT,
    properties: { title, region, view: 'timeSeries', stacked: false, period: 60, metrics, ...extra },
  });

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
  for (const row of [endpointRow, modelRow, dataRow]) {
    const { placed, bottom } = place(row, top);
    widgets.push(...placed);
    top = bottom;
  }
  return { widgets };
}
