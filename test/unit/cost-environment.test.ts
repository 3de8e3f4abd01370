import { describe, expect, it } from '@jest/globals';
import { environmentCost, formatEnvironmentCost } from '../../cli/workflows/cost.js';
import { createMemoryObjectStore } from '../harness/object-store.js';
import { createRecordingReporter } from '../harness/reporter.js';

const ENVIRONMENT = { stateBucket: 'acme-state', region: 'eu-west-1', project: 'acme', envName: 'dev' };

/** A state file (format 4) holding the given managed resources. */
const state = (...resources: { type: string; name: string; attributes: Record<string, unknown> }[]) =>
  JSON.stringify({ version: 4, resources: resources.map(({ type, name, attributes }) => ({ mode: 'managed', type, name, instances: [{ attributes }] })) });

describe('mlops cost', () => {
  it("prices each stack from its state, lists the ML projects' stacks without one, and sums the environment", async () => {
    const states = createMemoryObjectStore(
      new Map([
        ['acme/dev/mlflow-server.tfstate', state({ type: 'aws_nat_gateway', name: 'nat', attributes: { region: 'eu-west-1' } })],
        [
          'acme/dev/deployment/churn.tfstate',
          state(
            { type: 'aws_sagemaker_endpoint_configuration', name: 'c', attributes: { production_variants: [{ variant_name: 'primary', instance_type: 'ml.m5.large', initial_instance_count: 2 }] } },
            { type: 'aws_cloudwatch_dashboard', name: 'd', attributes: {} },
          ),
        ],
        // A project whose folder is gone still has a stack that costs money.
        ['acme/dev/deployment/old.tfstate', state({ type: 'aws_cloudwatch_dashboard', name: 'd', attributes: {} })],
        ['acme/dev/vpn/ca.json', '{"not": "a state"}'],
        ['acme/prod/mlflow-server.tfstate', state({ type: 'aws_nat_gateway', name: 'nat', attributes: {} })],
      ]),
    );
    const cost = await environmentCost(ENVIRONMENT, ['churn'], states, createRecordingReporter());
    expect(cost.stacks.map((stack) => [stack.stack, stack.estimate ? Math.round(stack.estimate.monthlyUsd * 100) / 100 : null])).toEqual([
      ['deployment/churn', 2 * 730 * 0.128 + 3], // two ml.m5.large in eu-west-1 and the dashboard: 189.88
      ['deployment/old', 3],
      ['mlflow-server', 730 * 0.048], // 35.04
      ['training/churn', null],
    ]);
    expect(cost.monthlyUsd).toBeCloseTo(2 * 730 * 0.128 + 3 + 3 + 730 * 0.048, 9);
    const text = formatEnvironmentCost(cost);
    expect(text).toContain('deployment/churn: $189.88/month\n    $186.88/month  SageMaker endpoint configuration: primary (production) 2 × ml.m5.large × 730 h × $0.128');
    expect(text).toContain('training/churn: not applied (no state)');
    expect(text).toContain('Environment total: $227.92/month');
    expect(text).toMatch(/Not counted: data transfer/);
  });
});
