// What `kubectl rollout status deployment/<name>` prints for a Deployment's status
// (kubectl pkg/polymorphichelpers/rollout_status.go DeploymentStatusViewer). The deployment
// controller's status must make this read correctly, so tests drive rollouts through it.
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { Reasons, getCondition, revisionOf } from './util.js';

/** kubectl's verdict: the line it prints, whether it is done, or the error it exits with. */
export interface RolloutStatus {
  /** The line printed (with its trailing newline), empty when `error` is set. */
  message: string;
  /** True once the rollout has finished. */
  done: boolean;
  /** Set when kubectl gives up (progress deadline exceeded, revision mismatch). */
  error?: string;
}

/** The status kubectl reports for `deploy`; `revision` > 0 pins the expected revision (--revision). */
export function rolloutStatus(deploy: Deployment, revision = 0): RolloutStatus {
  const name = deploy.metadata?.name ?? '';
  if (revision > 0) {
    const current = revisionOf(deploy);
    if (current !== revision) return { message: '', done: false, error: `desired revision (${revision}) is different from the running revision (${current})` };
  }
  const s = deploy.status ?? {};
  if ((deploy.metadata?.generation ?? 0) <= (s.observedGeneration ?? 0)) {
    if (getCondition(s, 'Progressing')?.reason === Reasons.ProgressDeadlineExceeded) {
      return { message: '', done: false, error: `deployment "${name}" exceeded its progress deadline` };
    }
    const replicas = deploy.spec?.replicas;
    const updated = s.updatedReplicas ?? 0;
    if (replicas !== undefined && updated < replicas) {
      return { message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${replicas} new replicas have been updated...\n`, done: false };
    }
    if ((s.replicas ?? 0) > updated) {
      return { message: `Waiting for deployment "${name}" rollout to finish: ${(s.replicas ?? 0) - updated} old replicas are pending termination...\n`, done: false };
    }
    if ((s.availableReplicas ?? 0) < updated) {
      return { message: `Waiting for deployment "${name}" rollout to finish: ${s.availableReplicas ?? 0} of ${updated} updated replicas are available...\n`, done: false };
    }
    return { message: `deployment "${name}" successfully rolled out\n`, done: true };
  }
  return { message: 'Waiting for deployment spec update to be observed...\n', done: false };
}
