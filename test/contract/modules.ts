import badInput from './bad-input';
import budget from './budget';
import compiled from './compiled';
import type { ContractModule } from './contract';
import docsExamples from './docs-examples';
import entityNames from './entity-names';
import exploration from './exploration';
import filters from './filters';
import formats from './formats';
import hostile from './hostile';
import protection from './protection';
import provenance from './provenance';
import readApi from './read-api';
import statements from './statements';

/**
 * The modules of the shared contract suite, in two halves that run as separate files (so in
 * parallel): the hostile run alone takes as long as all the rest.
 */
export const CONTRACT_MODULES: readonly ContractModule[] = [readApi, entityNames, statements, compiled, filters, exploration, provenance, formats, docsExamples, badInput, budget, protection];
export const HOSTILE_MODULES: readonly ContractModule[] = [hostile];
