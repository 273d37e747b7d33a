// Which earlier record had the same address key, over a million records, in a few typed
// arrays: each key is kept as a 64-bit hash and the record that had it (a Map of a million
// keys as strings costs over 100 MB; as 53-bit numbers about 50 MB and a second of hashing
// doubles on this machine; these arrays 24 MB for a million keys). A hash that matches is
// confirmed against the key itself (`keyOf`, from the stage), so two keys that share a hash
// are still told apart: the probe simply goes on to the next slot.

const EMPTY = 0; // records are 1-based

export class FirstSeen {
  private h1 = new Uint32Array(1 << 16);
  private h2 = new Uint32Array(1 << 16);
  private rec = new Uint32Array(1 << 16);
  private size = 0;
  private readonly keyOf: (record: number) => string | undefined;

  /** `keyOf(record)`: the key staged for an earlier record this table returned or holds. */
  constructor(keyOf: (record: number) => string | undefined) {
    this.keyOf = keyOf;
  }

  /** The first record with this key, or undefined (and the key is remembered as `record`'s). */
  firstWith(key: string, record: number): number | undefined {
    let a = 0x811c9dc5;
    let b = 0x01000193;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    a >>>= 0;
    b = (b ^ (b >>> 15)) >>> 0;
    const mask = this.rec.length - 1;
    for (let slot = mix(a) & mask; ; slot = (slot + 1) & mask) {
      const r = this.rec[slot] as number;
      if (r === EMPTY) {
        this.h1[slot] = a;
        this.h2[slot] = b;
        this.rec[slot] = record;
        if (++this.size * 10 > this.rec.length * 7) this.grow();
        return undefined;
      }
      if (this.h1[slot] === a && this.h2[slot] === b && this.keyOf(r) === key) return r;
    }
  }

  private grow(): void {
    const { h1, h2, rec } = this;
    const n = rec.length * 2;
    const n1 = new Uint32Array(n);
    const n2 = new Uint32Array(n);
    const nr = new Uint32Array(n);
    const mask = n - 1;
    for (let i = 0; i < rec.length; i++) {
      const r = rec[i] as number;
      if (r === EMPTY) continue;
      const a = h1[i] as number;
      let slot = mix(a) & mask;
      while (nr[slot] !== EMPTY) slot = (slot + 1) & mask;
      n1[slot] = a;
      n2[slot] = h2[i] as number;
      nr[slot] = r;
    }
    this.h1 = n1;
    this.h2 = n2;
    this.rec = nr;
  }
}

/** murmur3's finaliser: spreads the hash over the low bits the slot is taken from. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
