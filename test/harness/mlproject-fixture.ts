/** A minimal valid MLproject file: python_env, and a main entry point whose parameter has a default. */
export const VALID_MLPROJECT = `name: p
python_env: python_env.yaml
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
    command: "python train.py --alpha {alpha}"
`;
