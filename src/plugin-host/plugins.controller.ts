import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PluginsResponseDto } from './plugin.dto.js';
import { PluginHost } from './plugin-host.service.js';
import type { PluginInfo } from './plugin-loader.js';

@ApiTags('plugins')
@Controller('v1/plugins')
export class PluginsController {
  constructor(private readonly host: PluginHost) {}

  @Get()
  @ApiOperation({ operationId: 'listPlugins', summary: 'The rule plugins: active, failed (optional ones) and disabled, in run order' })
  @ApiOkResponse({ type: PluginsResponseDto })
  list(): { plugins: PluginInfo[] } {
    return { plugins: this.host.list() };
  }
}
