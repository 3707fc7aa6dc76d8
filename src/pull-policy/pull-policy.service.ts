import { Injectable } from '@nestjs/common';
import { defaultManifests, type ManifestsInput, type ManifestsResult } from './manifests.js';
import { type PullPolicyInput, type PullPolicyResult, resolvePullPolicy } from './pull-policy.js';

/** The transports' entry to the pure pull-policy cores (REST, GraphQL, the admission webhook, plugins). */
@Injectable()
export class PullPolicyService {
  /** The policy one container gets; a given value the API rejects is an InvalidPullPolicy error. */
  defaultPolicy(input: PullPolicyInput): PullPolicyResult {
    return resolvePullPolicy(input);
  }

  /** Manifests with imagePullPolicy filled in, in the form given, plus the per-container report. */
  defaultManifests(input: ManifestsInput): ManifestsResult {
    return defaultManifests(input);
  }
}
