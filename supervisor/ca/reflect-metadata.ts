// @peculiar/x509 depends on tsyringe, which refuses to load without a Reflect metadata
// polyfill (normally the `reflect-metadata` package, which this project does not ship).
// This is the small subset tsyringe uses: getMetadata, getOwnMetadata, defineMetadata,
// hasMetadata and the `metadata` decorator factory. A real polyfill, when loaded first,
// is left alone. Must be imported before '@peculiar/x509'.

type MetadataKey = unknown;
type PropertyKeyOrNone = string | symbol | undefined;

interface ReflectMetadataApi {
  getMetadata?: (key: MetadataKey, target: object, property?: string | symbol) => unknown;
}

const reflect = Reflect as typeof Reflect & ReflectMetadataApi;

if (typeof reflect.getMetadata !== 'function') {
  const store = new WeakMap<object, Map<PropertyKeyOrNone, Map<MetadataKey, unknown>>>();

  const own = (target: object, property: PropertyKeyOrNone, create: boolean) => {
    let byProperty = store.get(target);
    if (!byProperty) {
      if (!create) return undefined;
      byProperty = new Map();
      store.set(target, byProperty);
    }
    let entries = byProperty.get(property);
    if (!entries && create) {
      entries = new Map();
      byProperty.set(property, entries);
    }
    return entries;
  };

  const api = {
    defineMetadata(key: MetadataKey, value: unknown, target: object, property?: string | symbol): void {
      own(target, property, true)?.set(key, value);
    },
    getOwnMetadata(key: MetadataKey, target: object, property?: string | symbol): unknown {
      return own(target, property, false)?.get(key);
    },
    hasOwnMetadata(key: MetadataKey, target: object, property?: string | symbol): boolean {
      return own(target, property, false)?.has(key) ?? false;
    },
    hasMetadata(key: MetadataKey, target: object, property?: string | symbol): boolean {
      for (let t: object | null = target; t; t = Object.getPrototypeOf(t)) {
        if (own(t, property, false)?.has(key)) return true;
      }
      return false;
    },
    getMetadata(key: MetadataKey, target: object, property?: string | symbol): unknown {
      for (let t: object | null = target; t; t = Object.getPrototypeOf(t)) {
        const entries = own(t, property, false);
        if (entries?.has(key)) return entries.get(key);
      }
      return undefined;
    },
    metadata(key: MetadataKey, value: unknown) {
      return (target: object, property?: string | symbol): void => {
        own(target, property, true)?.set(key, value);
      };
    },
  };
  for (const [name, fn] of Object.entries(api)) {
    Object.defineProperty(Reflect, name, {
      value: fn,
      configurable: true,
      writable: true,
      enumerable: false,
    });
  }
}
