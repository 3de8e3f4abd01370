import { describe, expect, it } from '@jest/globals';
import { localServerEnv } from '../../cli/local/mlflow-server.js';

describe('the local MLflow server environment', () => {
  it("turns MLflow's job runner off by default", () => {
    expect(localServerEnv({})).toEqual({ MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false' });
  });

  it('keeps the value the person running the CLI set', () => {
    expect(localServerEnv({ MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'true' })).toEqual({ MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'true' });
  });
});
