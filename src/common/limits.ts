/**
 * Request bounds shared by more than one module's wire shapes (DTOs, GraphQL inputs, ajv schemas): each
 * is defined here once and referenced everywhere it is checked or documented. They keep one request cheap;
 * none is a Kubernetes rule. Bounds only one module uses live beside that module's shapes
 * (MAX_REFERENCES_PER_REQUEST in reference.dto.ts, MAX_IMAGES_PER_REQUEST and MAX_PULL_SECRETS_PER_LOOKUP
 * in digest.dto.ts, LIMITS in decision.schemas.ts).
 */

/** Longest image string accepted (a reference is at most a few hundred characters; this bounds abuse). */
export const MAX_IMAGE_LENGTH = 4096;

/** Longest `.dockerconfigjson` accepted: a docker config is small; a larger value is a mistake or an attack. */
export const MAX_DOCKERCONFIGJSON_LENGTH = 64 * 1024;

/** Longest version string accepted (kubeletVersion, kubernetesVersion: `v1.35.2-eks-4096722` and the like). */
export const MAX_VERSION_LENGTH = 100;
