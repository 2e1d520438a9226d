import { specifiedDirectives } from 'graphql';
import { builder } from './builder';
import { LiveDirective } from './live';
import './types/scalars';
import './types/entity';
import './types/relationship';
import './types/claim';
import './types/citation';
import './types/source';
import './types/timestamps';
import './types/mutations/entities';
import './types/mutations/sources';
import './types/mutations/claims';
import './types/mutations/relationships';
import './types/search';
import './types/exploration';
import './types/node';

export const schema = builder.toSchema({ sortSchema: false, directives: [...specifiedDirectives, LiveDirective] });
