/** The Redis Cluster key-slot function ioredis itself routes with (CRC16 of the key or its hash tag). */
declare module 'cluster-key-slot' {
  function calculateSlot(key: string | Buffer): number;
  export = calculateSlot;
}
