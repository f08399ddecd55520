// The message tables the protobuf decoder reads. The meta/v1 messages below are written by hand
// from /work/shared/reference/protobuf-fields.md §8.1 (apimachinery's generated.proto and
// types.go at v0.32.4); every other message is generated from kubernetes/api v0.32.4 into
// messages.generated.ts by scripts/gen-protobuf.mjs.
//
// One line per message: `number name type kind` per field, separated by `;`.
//   type: string | int32 | int64 | bool | bytes | time | microtime | quantity | intstr |
//         fieldsv1 | rawextension | map<string,VALUE> | another message of this table
//   kind: val (value field; its zero value means unset), val! (value field whose zero is kept,
//         no omitempty in JSON), ptr (pointer: present means set, zero included), rep
//         (repeated), map (map entries {1: key, 2: value})
//   a `*` before the name marks an embedded struct: nested in protobuf, flattened into the
//   parent in JSON (protobuf-fields.md §5).
import { GENERATED_MESSAGES } from './messages.generated.js';

export { TOP_LEVEL } from './messages.generated.js';

/** meta/v1 messages: name -> field list in the one-line form described above. */
const META_MESSAGES: Record<string, string> = {
  ObjectMeta: '1 name string val; 2 generateName string val; 3 namespace string val; 4 selfLink string val; 5 uid string val; 6 resourceVersion string val; 7 generation int64 val; 8 creationTimestamp time val; 9 deletionTimestamp time ptr; 10 deletionGracePeriodSeconds int64 ptr; 11 labels map<string,string> map; 12 annotations map<string,string> map; 13 ownerReferences OwnerReference rep; 14 finalizers string rep; 17 managedFields ManagedFieldsEntry rep',
  OwnerReference: '1 kind string val!; 3 name string val!; 4 uid string val!; 5 apiVersion string val!; 6 controller bool ptr; 7 blockOwnerDeletion bool ptr',
  ManagedFieldsEntry: '1 manager string val; 2 operation string val; 3 apiVersion string val; 4 time time ptr; 6 fieldsType string val; 7 fieldsV1 fieldsv1 ptr; 8 subresource string val',
  Condition: '1 type string val!; 2 status string val!; 3 observedGeneration int64 val; 4 lastTransitionTime time val!; 5 reason string val!; 6 message string val!',
  LabelSelector: '1 matchLabels map<string,string> map; 2 matchExpressions LabelSelectorRequirement rep',
  LabelSelectorRequirement: '1 key string val!; 2 operator string val!; 3 values string rep',
};

/** Every message the decoder knows. */
export const MESSAGES: Record<string, string> = { ...META_MESSAGES, ...GENERATED_MESSAGES };
