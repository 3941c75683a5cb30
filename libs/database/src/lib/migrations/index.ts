import { InitialSchema1764300000000 } from './1764300000000-initial-schema';

/** Every migration, oldest first. Listed as classes because the servers are bundled. */
export const migrations = [InitialSchema1764300000000];
