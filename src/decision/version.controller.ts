import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { GATE_STAGES } from '../pull-policy/kubernetes-release.js';
import { featureGates, KUBELET_VERSIONS, type KubeletFeatureGates, NEWEST_KUBELET_VERSION } from './kubelet-versions.js';

class FeatureGateDefaultDto {
  @ApiProperty() enabled: boolean;
  @ApiProperty({ enum: [...GATE_STAGES] }) stage: string;
  @ApiProperty({ description: 'GA and locked: the gate cannot be turned off' }) lockedToDefault: boolean;
  @ApiProperty({ example: '1.35', description: 'The release from which this stage and default hold' }) since: string;
}

class KubeletFeatureGateDefaultsDto {
  @ApiProperty({ type: FeatureGateDefaultDto }) KubeletEnsureSecretPulledImages: FeatureGateDefaultDto;
  @ApiProperty({ type: FeatureGateDefaultDto }) ImageVolume: FeatureGateDefaultDto;
}

class KubeletReleaseDto {
  @ApiProperty({ example: '1.35' }) version: string;
  @ApiProperty({ type: KubeletFeatureGateDefaultsDto }) featureGates: KubeletFeatureGateDefaultsDto;
}

class KubeletVersionsDto {
  @ApiProperty({ example: NEWEST_KUBELET_VERSION, description: 'What an absent node.kubeletVersion means (the newest release modelled)' }) default: string;
  @ApiProperty({ type: [String], example: [...KUBELET_VERSIONS] }) supported: string[];
  @ApiProperty({ description: 'The spellings node.kubeletVersion accepts' }) accepts: string;
  @ApiProperty({ type: [KubeletReleaseDto] }) releases: KubeletReleaseDto[];
}

export class VersionDto {
  @ApiProperty({ type: KubeletVersionsDto }) kubelet: KubeletVersionsDto;
}

export interface VersionAnswer {
  kubelet: {
    default: string;
    supported: string[];
    accepts: string;
    releases: Array<{ version: string; featureGates: KubeletFeatureGates }>;
  };
}

/** Computed once: the model does not change while the service runs. */
const ANSWER: VersionAnswer = {
  kubelet: {
    default: NEWEST_KUBELET_VERSION,
    supported: [...KUBELET_VERSIONS],
    accepts: '1.35, v1.35, 1.35.2, v1.35.2 and a build suffix after the patch (v1.35.2-eks-4096722, v1.36.4+k3s1); only the minor counts',
    releases: KUBELET_VERSIONS.map((version) => ({ version, featureGates: featureGates(version) })),
  },
};

/** Which Kubernetes releases the service models, and what an absent version means. */
@ApiTags('operations')
@Controller('v1')
export class VersionController {
  @Get('version')
  @ApiOperation({
    operationId: 'getVersion',
    summary: 'The kubelet releases decisions model (node.kubeletVersion), the default when none is given, and each release\'s feature gate defaults',
    description: 'Gate stages and defaults are those of pkg/features/kube_features.go (versioned feature specs).',
  })
  @ApiOkResponse({ type: VersionDto })
  version(): VersionAnswer {
    return ANSWER;
  }
}
