import { builder } from './builder';
import './types/scalars';
import './types/entity';
import './types/relationship';
import './types/claim';
import './types/citation';
import './types/source';
import './types/search';
import './types/exploration';

export const schema = builder.toSchema({ sortSchema: false });
