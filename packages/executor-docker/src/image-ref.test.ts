import { test } from "node:test";
import assert from "node:assert/strict";
import {
  defaultServiceAliases,
  parseImageReference,
  pullParameters,
  registryHost,
  serviceName,
  serviceVersion,
  splitAliases,
} from "./image-ref.js";

test("parses names with and without registry, tag and digest", () => {
  assert.deepEqual(parseImageReference("postgres"), { path: "postgres" });
  assert.deepEqual(parseImageReference("postgres:11.7"), { path: "postgres", tag: "11.7" });
  assert.deepEqual(parseImageReference("tutum/wordpress:latest"), {
    path: "tutum/wordpress",
    tag: "latest",
  });
  assert.deepEqual(parseImageReference("registry.gitlab-wp.com:4999/tutum/wordpress"), {
    registry: "registry.gitlab-wp.com:4999",
    path: "tutum/wordpress",
  });
  assert.deepEqual(parseImageReference("localhost/app:1"), {
    registry: "localhost",
    path: "app",
    tag: "1",
  });
  const digest = `sha256:${"a".repeat(64)}`;
  assert.deepEqual(parseImageReference(`alpine@${digest}`), { path: "alpine", digest });
  assert.deepEqual(parseImageReference(`alpine:3.19@${digest}`), {
    path: "alpine",
    tag: "3.19",
    digest,
  });
});

test("rejects what is not an image reference", () => {
  for (const bad of [
    "",
    " alpine",
    "Alpine",
    "alpine:",
    "alpine@sha256:xyz",
    "a//b",
    "-a",
    "a:b:c",
  ]) {
    assert.equal(parseImageReference(bad), null, bad);
  }
});

test("pulls a name without tag as latest, and a digest by its digest", () => {
  assert.deepEqual(pullParameters(parseImageReference("busybox")!), {
    fromImage: "busybox",
    tag: "latest",
  });
  assert.deepEqual(pullParameters(parseImageReference("my.registry:5000/a/b:2")!), {
    fromImage: "my.registry:5000/a/b",
    tag: "2",
  });
  const digest = `sha256:${"b".repeat(64)}`;
  assert.deepEqual(pullParameters(parseImageReference(`a/b:1@${digest}`)!), {
    fromImage: "a/b",
    tag: digest,
  });
});

test("default service aliases follow GitLab's documented rules", () => {
  // https://docs.gitlab.com/ci/services/#accessing-the-services
  assert.deepEqual(defaultServiceAliases(parseImageReference("tutum/wordpress:latest")!), [
    "tutum__wordpress",
    "tutum-wordpress",
  ]);
  assert.deepEqual(defaultServiceAliases(parseImageReference("mysql:latest")!), ["mysql"]);
  // A registry port is stripped, the host stays.
  assert.deepEqual(
    defaultServiceAliases(parseImageReference("registry.gitlab-wp.com:4999/tutum/wordpress")!),
    ["registry.gitlab-wp.com__tutum__wordpress", "registry.gitlab-wp.com-tutum-wordpress"],
  );
});

test("service name and version as the log shows them", () => {
  const tagged = parseImageReference("registry.example.com:5000/db/postgres:15")!;
  assert.equal(serviceName(tagged), "registry.example.com/db/postgres");
  assert.equal(serviceVersion(tagged), "15");
  assert.equal(serviceVersion(parseImageReference("redis")!), "latest");
  const digest = `sha256:${"c".repeat(64)}`;
  assert.equal(serviceVersion(parseImageReference(`redis@${digest}`)!), `@${digest}`);
});

test("splits alias lists on commas and spaces", () => {
  assert.deepEqual(splitAliases("db,postgres, pg  db2"), ["db", "postgres", "pg", "db2"]);
  assert.deepEqual(splitAliases(""), []);
  assert.deepEqual(splitAliases(null), []);
});

test("registry host defaults to Docker Hub", () => {
  assert.equal(registryHost(parseImageReference("alpine")!), "docker.io");
  assert.equal(registryHost(parseImageReference("ghcr.io/a/b")!), "ghcr.io");
});
