/**
 * IAM policy files with placeholders, such as policies/training-jobs-policy*.json: `${project}`,
 * `${env}`, `${region}`, `${account_id}`, `${partition}` and `${ml_project}` are filled in by the
 * stack; IAM's own policy variables (`${aws:username}`, anything with a colon) are kept for IAM.
 */
export const POLICY_PLACEHOLDERS = ['project', 'env', 'region', 'account_id', 'partition', 'ml_project'] as const;
export type PolicyPlaceholder = (typeof POLICY_PLACEHOLDERS)[number];

const PLACEHOLDER = /\$\{([^}]*)\}/g;

/** Every problem of a policy template: JSON, IAM shape, unknown placeholders. Empty when usable. */
export function policyTemplateViolations(text: string): string[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return [`is not valid JSON: ${(error as Error).message}`];
  }
  const violations: string[] = [];
  const policy = document as { Version?: unknown; Statement?: unknown };
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return ['must be a JSON object with Version and Statement'];
  if (policy.Version !== '2012-10-17') violations.push(`Version must be "2012-10-17" (is ${JSON.stringify(policy.Version)})`);
  const statements = Array.isArray(policy.Statement) ? policy.Statement : policy.Statement ? [policy.Statement] : [];
  if (statements.length === 0) violations.push('Statement must hold at least one statement');
  statements.forEach((statement: Record<string, unknown>, index: number) => {
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') violations.push(`Statement ${index}: Effect must be "Allow" or "Deny"`);
    if (!statement.Action && !statement.NotAction) violations.push(`Statement ${index}: needs Action (or NotAction)`);
    if (!statement.Resource && !statement.NotResource) violations.push(`Statement ${index}: needs Resource (or NotResource)`);
    if (statement.Principal) violations.push(`Statement ${index}: an identity policy has no Principal`);
  });
  const unknown = new Set<string>();
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = match[1];
    if (!name.includes(':') && !(POLICY_PLACEHOLDERS as readonly string[]).includes(name)) unknown.add(name);
  }
  for (const name of unknown) violations.push(`unknown placeholder \${${name}}; known: ${POLICY_PLACEHOLDERS.map((p) => `\${${p}}`).join(', ')} (IAM variables such as \${aws:username} are kept)`);
  return violations;
}

/**
 * Fills in the placeholders (values may be Terraform references) and escapes IAM's own variables
 * as `$${…}` so Terraform leaves them alone. Expects a template without violations.
 */
export function renderPolicyTemplate(text: string, values: Record<PolicyPlaceholder, string>): string {
  const rendered = text.replace(PLACEHOLDER, (whole, name: string) =>
    (POLICY_PLACEHOLDERS as readonly string[]).includes(name) ? values[name as PolicyPlaceholder] : `$${whole}`,
  );
  return JSON.stringify(JSON.parse(rendered));
}
