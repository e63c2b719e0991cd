// Fields the Kubernetes API does not define. kubernetes-models' validate() checks types and
// required fields but lets unknown ones through (its schemas allow additional properties, as
// the API server did before field validation), so a misspelt `nodeSelectr` would pass it. The
// field lists of @kubernetes/client-node's generated models (getAttributeTypeMap) say which
// fields each type has.
import * as k8s from "@kubernetes/client-node";

interface Attribute {
  baseName: string;
  type: string;
}
type Model = { getAttributeTypeMap(): Attribute[] };

const model = (type: string): Model | undefined => {
  const candidate = (k8s as unknown as Record<string, unknown>)[type] as Partial<Model> | undefined;
  return typeof candidate?.getAttributeTypeMap === "function" ? (candidate as Model) : undefined;
};

/** The model type of a built-in object, as the client names it: V1DaemonSet, V1ClusterRole… */
export function modelType(apiVersion: string, kind: string): string | undefined {
  const version = apiVersion.split("/").pop() ?? "";
  const type = `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;
  return model(type) ? type : undefined;
}

/** Paths of the fields in `value` that `type` (and the types inside it) does not define. */
export function unknownFields(value: unknown, type: string, path = ""): string[] {
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    return Array.isArray(value)
      ? value.flatMap((item, index) => unknownFields(item, array[1] as string, `${path}[${index}]`))
      : [];
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    return value !== null && typeof value === "object"
      ? Object.entries(value).flatMap(([key, item]) =>
          unknownFields(item, map[1] as string, `${path}.${key}`),
        )
      : [];
  }
  const found = model(type);
  if (!found || value === null || typeof value !== "object") return [];
  const attributes = new Map(found.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  return Object.entries(value).flatMap(([key, item]) => {
    const inner = attributes.get(key);
    return inner === undefined ? [`${path}.${key}`] : unknownFields(item, inner, `${path}.${key}`);
  });
}
