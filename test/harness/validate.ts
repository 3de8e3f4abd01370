import { execa } from 'execa';
import { requireTool, toolchainEnv } from './toolchain.js';

/**
 * `tofu init -backend=false` + `tofu validate -json` of a synthesized stack folder against the offline
 * provider mirror; resolves to validate's diagnostics (empty when valid), rejects when init fails.
 */
export async function validateStack(stackDir: string): Promise<{ valid: boolean; diagnostics: string[] }> {
  const tools = toolchainEnv();
  const tofu = requireTool(tools, 'MLOPS_TERRAFORM_BIN');
  requireTool(tools, 'TF_CLI_CONFIG_FILE');
  const env = { ...process.env, ...tools, TF_IN_AUTOMATION: '1' };
  const init = await execa(tofu, ['init', '-backend=false', '-input=false', '-no-color'], { cwd: stackDir, env, reject: false, all: true });
  if (init.exitCode !== 0) throw new Error(`tofu init failed in ${stackDir}:\n${init.all}`);
  const validate = await execa(tofu, ['validate', '-json', '-no-color'], { cwd: stackDir, env, reject: false });
  const result = JSON.parse(validate.stdout) as { valid: boolean; diagnostics: { severity: string; summary: string; detail?: string; address?: string }[] };
  return {
    valid: result.valid,
    diagnostics: result.diagnostics.map((d) => `${d.severity}: ${d.summary}${d.address ? ` (${d.address})` : ''}${d.detail ? ` — ${d.detail}` : ''}`),
  };
}
