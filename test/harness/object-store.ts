import type { ObjectStore } from '../../cli/vpn/pki.js';

/** An object store in memory, for tests of what the CLI keeps in the state bucket. */
export function createMemoryObjectStore(objects: Map<string, string> = new Map()): ObjectStore & { objects: Map<string, string> } {
  return {
    objects,
    read: async (key) => objects.get(key),
    write: async (key, text) => void objects.set(key, text),
    remove: async (key) => void objects.delete(key),
    list: async (prefix) => [...objects.keys()].filter((key) => key.startsWith(prefix)).sort(),
  };
}
