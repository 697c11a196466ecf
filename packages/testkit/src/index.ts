export { type ContainerHandle, dockerAvailable, startNatsContainer, startRedisContainer } from "./docker.ts";
export { TESTKIT_ERROR_CODES, TestkitNoDockerError, TestkitNoServerError, TestkitStartError } from "./errors.ts";
export { medcomExamplesDir, medcomTerminologyDir } from "./medcom-fixtures.ts";
export {
  type NatsClusterHandle,
  type NatsServerHandle,
  type NatsServerOptions,
  startNatsCluster,
  startNatsServer,
} from "./nats-server.ts";
export { childProcesses, freePort } from "./processes.ts";
export {
  type RedisSentinelHandle,
  type RedisSentinelOptions,
  type SentinelAddress,
  startRedisSentinel,
} from "./redis-sentinel.ts";
export { type RedisServerHandle, type RedisServerOptions, startRedisServer } from "./redis-server.ts";
export {
  type CleanupTargets,
  cleanupNamespace,
  namespaceStreams,
  type RedisLike,
  sharedNatsUrl,
  sharedRedisUrl,
  testNamespace,
} from "./shared.ts";
export { provideTestServers, type TestServers } from "./test-servers.ts";
