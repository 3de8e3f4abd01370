import { buildDashboardBody, type DashboardInput } from '../../core/deployment/dashboard.js';

const input: DashboardInput = {
  region: 'eu-west-1',
  endpointName: 'acme-dev-churn',
  variantName: 'primary',
  serverless: false,
  metricsNamespace: 'LeanMLOps/acme-dev',
  mlProject: 'churn',
  modelVersion: '3',
  modelMetricNames: ['accuracy', 'f1_macro'],
  features: ['age', 'income'],
  dataCapture: true,
  alarmArns: ['arn:aws:cloudwatch:eu-west-1:1:alarm:acme-dev-churn-invocation-5xx', 'arn:aws:cloudwatch:eu-west-1:1:alarm:acme-dev-churn-model-latency'],
};

type Widget = ReturnType<typeof buildDashboardBody>['widgets'][number];
const metricsOf = (widget: Widget) => (widget.properties.metrics ?? []) as unknown[][];
const titled = (widgets: Widget[], title: string) => widgets.find((widget) => widget.properties.title === title)!;

describe('buildDashboardBody', () => {
  const { widgets } = buildDashboardBody(input);
  const headers = widgets.filter((widget) => widget.type === 'text');

  it('has three rows, endpoint, model and data, one below the other', () => {
    expect(headers.map((widget) => String(widget.properties.markdown).split(':')[0])).toEqual([
      '## Endpoint acme-dev-churn (model version 3)',
      '## Model churn version 3',
      '## Data',
    ]);
    const [endpointY, modelY, dataY] = headers.map((widget) => widget.y);
    expect(endpointY).toBe(0);
    expect(modelY).toBeGreaterThan(endpointY);
    expect(dataY).toBeGreaterThan(modelY);
  });

  it('graphs every endpoint metric the issue names, for this endpoint and variant', () => {
    const endpointMetrics = widgets
      .filter((widget) => widget.type === 'metric' && widget.y < headers[1].y)
      .flatMap(metricsOf)
      .map((metric) => `${metric[0]}:${metric[1]}:${metric[3]}:${metric[5]}`);
    for (const name of ['Invocations', 'InvocationsPerInstance', 'ModelLatency', 'OverheadLatency', 'Invocation4XXErrors', 'Invocation5XXErrors']) {
      expect(endpointMetrics).toContain(`AWS/SageMaker:${name}:acme-dev-churn:primary`);
    }
    for (const name of ['CPUUtilization', 'MemoryUtilization', 'DiskUtilization']) {
      expect(endpointMetrics).toContain(`/aws/sagemaker/Endpoints:${name}:acme-dev-churn:primary`);
    }
  });

  it('shows the rollback alarms', () => {
    const alarms = widgets.find((widget) => widget.type === 'alarm')!;
    expect(alarms.properties.alarms).toEqual(input.alarmArns);
  });

  it("shows the version's run metrics from the custom namespace, dimensioned by project and version", () => {
    const model = titled(widgets, 'Run metrics of version 3');
    expect(metricsOf(model)).toEqual([
      ['LeanMLOps/acme-dev', 'accuracy', 'Project', 'churn', 'Version', '3', { label: 'accuracy' }],
      ['LeanMLOps/acme-dev', 'f1_macro', 'Project', 'churn', 'Version', '3', { label: 'f1_macro' }],
    ]);
  });

  it('puts each feature’s baseline statistics next to the same statistics of captured requests', () => {
    const age = titled(widgets, 'age');
    expect(metricsOf(age).map((metric) => `${metric[1]}/${metric[7]}/${metric[9]}`)).toEqual([
      'FeatureMean/age/baseline',
      'FeatureMean/age/captured',
      'FeatureStd/age/baseline',
      'FeatureStd/age/captured',
    ]);
    expect(titled(widgets, 'income')).toBeDefined();
  });

  it('keeps every widget inside the 24 columns without overlaps', () => {
    const cells = new Set<string>();
    for (const widget of widgets) {
      expect(widget.x + widget.width).toBeLessThanOrEqual(24);
      for (let x = widget.x; x < widget.x + widget.width; x += 1) {
        for (let y = widget.y; y < widget.y + widget.height; y += 1) {
          const cell = `${x},${y}`;
          expect(cells.has(cell)).toBe(false);
          cells.add(cell);
        }
      }
    }
  });

  it('shows cold starts instead of instance utilisation for a serverless endpoint, and says capture is off', () => {
    const serverless = buildDashboardBody({ ...input, serverless: true, dataCapture: false }).widgets;
    const names = serverless.flatMap(metricsOf).map((metric) => metric[1]);
    expect(names).toContain('ModelSetupTime');
    expect(names).not.toContain('CPUUtilization');
    expect(serverless.some((widget) => String(widget.properties.markdown ?? '').includes('data capture is off'))).toBe(true);
  });

  it('says so when the run logged no metrics and the model names no features', () => {
    const bare = buildDashboardBody({ ...input, modelMetricNames: [], features: [] }).widgets;
    const texts = bare.map((widget) => String(widget.properties.markdown ?? ''));
    expect(texts).toContain('The run that registered this version logged no metrics.');
    expect(texts).toContain('The model has no signature or baseline naming its input features.');
  });

  it('is the same for the same input (a second deployment changes nothing)', () => {
    expect(JSON.stringify(buildDashboardBody(input))).toBe(JSON.stringify(buildDashboardBody({ ...input })));
  });
});
