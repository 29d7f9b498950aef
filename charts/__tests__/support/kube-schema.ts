type Validatable = { validate(): void };
type ModelClass = new (data: object) => Validatable;

/**
 * The package holding the generated model (and its JSON schema validator) for an apiVersion:
 * Kubernetes' own OpenAPI for built-in groups, the CRDs' OpenAPI for prometheus-operator, Argo CD and KEDA.
 */
function modulePath(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'monitoring.coreos.com')
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  if (group === 'argoproj.io') return `@kubernetes-models/argo-cd/${apiVersion}/${kind}`;
  if (group === 'keda.sh') return `@kubernetes-models/keda/${apiVersion}/${kind}`;
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
}

/**
 * Validates one object against the schema of its apiVersion and kind; throws with the schema
 * error (wrong types, missing required fields, CRD patterns). Unknown fields are not reported:
 * these schemas allow additional properties, like `kubectl --validate=false`.
 */
export async function validateKubernetesObject(object: { apiVersion: string; kind: string }): Promise<void> {
  const path = modulePath(object.apiVersion, object.kind);
  let Model: ModelClass | undefined;
  try {
    // the packages are ESM-only, one module per kind
    Model = ((await import(path)) as Record<string, ModelClass>)[object.kind];
  } catch (err) {
    throw new Error(`no schema for ${object.apiVersion} ${object.kind} (${path})`, { cause: err });
  }
  if (!Model) throw new Error(`no schema for ${object.apiVersion} ${object.kind} (${path})`);
  new Model(object).validate();
}
