import type { ContractModule } from './contract';
import readApi from './read-api';

/** Every module of the shared contract suite, in the order both runners declare them. */
export const CONTRACT_MODULES: readonly ContractModule[] = [readApi];
