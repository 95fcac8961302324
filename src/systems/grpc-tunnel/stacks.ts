/** The link stacks by the name `--link-stack` takes (config.ts says why there are two). */
import type { LinkStack } from './call.ts';
import type { LinkStackName } from './config.ts';
import { GRPC_JS_STACK } from './grpc-js-stack.ts';
import { RAW_STACK } from './raw-stack.ts';

export const LINK_STACK_IMPLEMENTATIONS: Readonly<Record<LinkStackName, LinkStack>> = { raw: RAW_STACK, 'grpc-js': GRPC_JS_STACK };
