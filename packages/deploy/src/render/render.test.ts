import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { helmBinary, kubectlBinary, seedFiles } from "../testing/tools.js";
import type { ResourceSetSource } from "../types.js";
import { canonicalJson } from "./digest.js";
import { RenderError } from "./errors.js";
import { applyGroupOf, sortForApply } from "./order.js";
import { type RenderOptions, renderSource } from "./render.js";

const plain = (
  files: Record<string, string>,
  values: Record<string, string> = {},
): ResourceSetSource => ({
  kind: "plain",
  files: Object.entries(files).map(([path, content]) => ({ path, content })),
  values,
});

const kinds = (objects: { kind: string; metadata: { name: string } }[]): string[] =>
  objects.map((object) => `${object.kind}/${object.metadata.name}`);

async function renderError(
  source: ResourceSetSource,
  options: RenderOptions = {},
): Promise<RenderError> {
  try {
    await renderSource(source, options);
  } catch (error) {
    assert.ok(error instanceof RenderError, `expected a RenderError, got ${String(error)}`);
    return error;
  }
  assert.fail("rendering succeeded");
}

describe("plain sets", () => {
  test("the vpgame-php seed renders with __NAME__ values, numbers typed, comments ignored", async () => {
    const version = await renderSource({
      kind: "plain",
      files: seedFiles("vpgame-php", ["deployment.yml", "service.yml"]),
      values: {
        APP_NAME: "shop-api",
        GROUP_NAME: "web",
        NAMESPACE: "shop",
        REPLICAS: "3",
        PROJECT_NAME: "api",
        PROJECT_NAMESPACE: "shop",
        VERSION: "v1.4.0",
      },
    });
    assert.deepEqual(kinds(version.objects), ["Service/shop-api", "Deployment/shop-api"]);
    const deployment = version.objects[1] as unknown as {
      metadata: { namespace: string };
      spec: {
        replicas: unknown;
        template: {
          spec: { containers: { image: string }[] };
          metadata: { annotations: Record<string, string> };
        };
      };
    };
    assert.equal(deployment.spec.replicas, 3);
    assert.equal(deployment.metadata.namespace, "shop");
    assert.equal(
      deployment.spec.template.spec.containers[0]?.image,
      "registry.example.test/shop/api:v1.4.0",
    );
    assert.equal(
      deployment.spec.template.metadata.annotations["prometheus.io/path"],
      "/api/metrics",
    );
    assert.match(version.digest, /^sha256:[0-9a-f]{64}$/);
  });

  test("the shoppingapp seed renders with ${name} values in apply order", async () => {
    const version = await renderSource({
      kind: "plain",
      files: seedFiles("shoppingapp/k8s", ["deployment.yml", "ingress.yml", "service.yml"], "k8s/"),
      values: {
        app_name: "shoppingapp",
        service_name: "home",
        image_id: "registry.example.test/home:abc123",
      },
    });
    assert.deepEqual(kinds(version.objects), [
      "Service/home-service",
      "Deployment/home-deployment",
      "Ingress/shoppingapp-ingress",
    ]);
    assert.deepEqual(
      version.source.files.map((file) => file.path),
      ["k8s/deployment.yml", "k8s/ingress.yml", "k8s/service.yml"],
    );
  });

  test("a missing placeholder value fails naming file, line and placeholder", async () => {
    const error = await renderError({
      kind: "plain",
      files: seedFiles("shoppingapp/k8s", ["deployment.yml"], "k8s/"),
      values: { app_name: "shoppingapp", service_name: "home" },
    });
    assert.equal(
      error.message,
      "k8s/deployment.yml, line 21, document 1: no value for placeholder ${image_id}",
    );
  });

  test("multi-document files, Lists and non-YAML files", async () => {
    const version = await renderSource(
      plain({
        "README.md": "not: [yaml",
        "all.yaml": [
          "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }",
          "",
          "apiVersion: v1\nkind: List\nitems:\n  - { apiVersion: v1, kind: Secret, metadata: { name: s } }\n  - { apiVersion: apps/v1, kind: Deployment, metadata: { name: d } }",
        ].join("\n---\n"),
        "ns.json": '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}}',
      }),
    );
    assert.deepEqual(kinds(version.objects), [
      "Namespace/n",
      "ConfigMap/a",
      "Secret/s",
      "Deployment/d",
    ]);
  });

  test("each object is validated, errors name the file and document", async () => {
    const error = await renderError(
      plain({
        "bad.yml": [
          "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: fine }",
          "kind: ConfigMap\nmetadata: { name: no-version }",
          "apiVersion: v1\nmetadata: { name: no-kind }",
          "apiVersion: v1\nkind: Pod\nmetadata: { generateName: web- }",
          "- just\n- a list",
        ].join("\n---\n"),
      }),
    );
    assert.deepEqual(
      error.problems.map((problem) => `${problem.file} #${problem.document}: ${problem.message}`),
      [
        "bad.yml #2: the document has no apiVersion",
        "bad.yml #3: the document has no kind",
        "bad.yml #4: the document uses metadata.generateName: server-side apply needs metadata.name",
        "bad.yml #5: the document is not a mapping (a Kubernetes object)",
      ],
    );
  });

  test("the same object twice is an error naming both places", async () => {
    const error = await renderError(
      plain({
        "a.yml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }",
        "b.yml":
          "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: y }\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }",
      }),
    );
    assert.equal(
      error.message,
      "b.yml, document 2: ConfigMap x is also defined in a.yml, document 1",
    );
  });

  test("paths must stay inside the set", async () => {
    const error = await renderError(plain({ "../etc/x.yml": "a: 1" }));
    assert.match(error.message, /not a relative path inside the set/);
  });
});

describe("apply order", () => {
  test("namespaces, CRDs, config (roles before bindings), services, workloads, routes, others; stable within a group", async () => {
    const object = (apiVersion: string, kind: string, name: string): string =>
      `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: { name: ${name} }`;
    const version = await renderSource(
      plain({
        "a.yml": [
          object("networking.k8s.io/v1", "Ingress", "in"),
          object("autoscaling/v2", "HorizontalPodAutoscaler", "hpa"),
          object("apps/v1", "Deployment", "d1"),
          object("rbac.authorization.k8s.io/v1", "RoleBinding", "rb"),
          object("v1", "Service", "svc"),
          object("gateway.networking.k8s.io/v1", "HTTPRoute", "route"),
          object("batch/v1", "Job", "job"),
          object("rbac.authorization.k8s.io/v1", "Role", "role"),
          object("v1", "ConfigMap", "cm"),
          object("apps/v1", "StatefulSet", "d2"),
          object("apiextensions.k8s.io/v1", "CustomResourceDefinition", "crd"),
          object("v1", "PersistentVolumeClaim", "pvc"),
          object("v1", "Secret", "sec"),
          object("v1", "ServiceAccount", "sa"),
          object("v1", "Namespace", "ns"),
          object("example.com/v1", "Widget", "w"),
        ].join("\n---\n"),
      }),
    );
    assert.deepEqual(kinds(version.objects), [
      "Namespace/ns",
      "CustomResourceDefinition/crd",
      "ConfigMap/cm",
      "PersistentVolumeClaim/pvc",
      "Secret/sec",
      "ServiceAccount/sa",
      "Role/role",
      "RoleBinding/rb",
      "Service/svc",
      "Deployment/d1",
      "Job/job",
      "StatefulSet/d2",
      "Ingress/in",
      "HTTPRoute/route",
      "HorizontalPodAutoscaler/hpa",
      "Widget/w",
    ]);
  });

  test("a kind named like a built-in in another group is not mistaken for it", () => {
    assert.equal(applyGroupOf("serving.knative.dev/v1", "Service"), "other");
    assert.equal(applyGroupOf("v1", "Service"), "service");
    assert.deepEqual(
      sortForApply(["z", "a", "m"], () => ({ apiVersion: "v1", kind: "ConfigMap" })),
      ["z", "a", "m"],
    );
  });
});

describe("digests", () => {
  const files = {
    "b.yml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: b }\ndata: { v: '${v}' }",
    "a.yml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: { x: '1', y: '2' }",
  };

  test("the same source gives the same digest whatever its file, key or value order", async () => {
    const one = await renderSource(plain(files, { v: "1", w: "2" }));
    const reordered = await renderSource({
      kind: "plain",
      files: [
        {
          path: "a.yml",
          content:
            "kind: ConfigMap\napiVersion: v1\nmetadata:\n  labels: { y: '2', x: '1' }\n  name: a",
        },
        { path: "b.yml", content: files["b.yml"] },
      ],
      values: { w: "2", v: "1" },
    });
    assert.equal(one.digest, (await renderSource(plain(files, { v: "1", w: "2" }))).digest);
    assert.deepEqual(one.objects, reordered.objects);
    assert.notEqual(one.digest, reordered.digest, "a.yml's text differs, so the source does");
    assert.equal(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] }), '{"a":[{"c":2,"d":1}],"b":1}');
  });

  test("changing a value, or a file that renders no object, changes the digest", async () => {
    const base = await renderSource(plain(files, { v: "1" }));
    assert.notEqual(base.digest, (await renderSource(plain(files, { v: "2" }))).digest);
    assert.notEqual(
      base.digest,
      (await renderSource(plain({ ...files, "README.md": "hi" }, { v: "1" }))).digest,
    );
  });
});

describe("kustomize", () => {
  const kubectl = kubectlBinary();
  test(
    "kubectl kustomize builds the kustomization after placeholders are filled",
    { skip: kubectl ? false : "no kubectl: run scripts/k8s/build.sh (or put kubectl on PATH)" },
    async () => {
      const version = await renderSource(
        {
          kind: "kustomize",
          files: [
            {
              path: "deploy/kustomization.yaml",
              content:
                "namePrefix: ${prefix}-\nlabels:\n  - pairs: { team: shop }\nresources: [app.yaml]\n",
            },
            {
              path: "deploy/app.yaml",
              content:
                "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings }\ndata: { image: '${image}' }\n---\napiVersion: v1\nkind: Namespace\nmetadata: { name: shop }\n",
            },
          ],
          values: { prefix: "home", image: "app:1" },
        },
        { kubectl: kubectl ?? "kubectl" },
      );
      assert.deepEqual(kinds(version.objects), ["Namespace/shop", "ConfigMap/home-settings"]);
      assert.deepEqual((version.objects[1] as { data?: unknown }).data, { image: "app:1" });
      assert.deepEqual(version.objects[1]?.metadata.labels, { team: "shop" });
    },
  );

  test(
    "a kustomize failure carries kubectl's message without the temporary path",
    { skip: kubectl ? false : "no kubectl: run scripts/k8s/build.sh (or put kubectl on PATH)" },
    async () => {
      const error = await renderError(
        {
          kind: "kustomize",
          files: [{ path: "kustomization.yaml", content: "resources: [missing.yaml]\n" }],
          values: {},
        },
        { kubectl: kubectl ?? "kubectl" },
      );
      assert.match(error.message, /^kubectl kustomize failed: .*missing\.yaml/s);
      assert.doesNotMatch(error.message, /conveyor-render-/);
    },
  );

  test("a kustomize set without a kustomization is an error", async () => {
    const error = await renderError({
      kind: "kustomize",
      files: [{ path: "a.yaml", content: "a: 1" }],
      values: {},
    });
    assert.match(error.message, /needs a kustomization\.yaml/);
  });
});

describe("helm", () => {
  const helm = helmBinary();
  const chart = [
    { path: "chart/Chart.yaml", content: "apiVersion: v2\nname: web\nversion: 0.1.0\n" },
    { path: "chart/values.yaml", content: "replicas: 1\nimage: nginx\nnote: none\n" },
    {
      path: "chart/templates/deployment.yaml",
      content: [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        "  name: {{ .Release.Name }}-web",
        "  namespace: {{ .Release.Namespace }}",
        "spec:",
        "  replicas: {{ .Values.replicas }}",
        "  selector: { matchLabels: { app: web } }",
        "  template:",
        "    metadata: { labels: { app: web }, annotations: { note: {{ .Values.note | quote }} } }",
        "    spec: { containers: [ { name: web, image: {{ .Values.image | quote }} } ] }",
        "",
      ].join("\n"),
    },
    {
      path: "chart/templates/service.yaml",
      content:
        "apiVersion: v1\nkind: Service\nmetadata: { name: {{ .Release.Name }}-web }\nspec: { ports: [ { port: 80 } ] }\n",
    },
    {
      path: "chart/templates/tests/test.yaml",
      content:
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations: { helm.sh/hook: test }\nspec: { containers: [ { name: t, image: x } ] }\n",
    },
  ];
  const skip = helm ? false : "no helm: run scripts/helm/build.sh (or put helm on PATH)";

  test(
    "helm template renders the chart with values as --set pairs, special characters kept",
    { skip },
    async () => {
      const version = await renderSource(
        {
          kind: "helm",
          files: chart,
          values: { replicas: "3", image: "app:1", note: "a,b={c}[d]\\e" },
          release: { name: "shop", namespace: "prod" },
        },
        { helm: helm ?? "helm" },
      );
      assert.deepEqual(kinds(version.objects), ["Service/shop-web", "Deployment/shop-web"]);
      const deployment = version.objects[1] as unknown as {
        metadata: { namespace: string };
        spec: {
          replicas: number;
          template: {
            metadata: { annotations: { note: string } };
            spec: { containers: { image: string }[] };
          };
        };
      };
      assert.equal(deployment.metadata.namespace, "prod");
      assert.equal(deployment.spec.replicas, 3);
      assert.equal(deployment.spec.template.spec.containers[0]?.image, "app:1");
      assert.equal(deployment.spec.template.metadata.annotations.note, "a,b={c}[d]\\e");
    },
  );

  test("a helm template error names the template", { skip }, async () => {
    const broken = chart.map((file) =>
      file.path.endsWith("service.yaml") ? { ...file, content: "{{ .Values.nope.deeper }}" } : file,
    );
    const error = await renderError(
      { kind: "helm", files: broken, values: {} },
      { helm: helm ?? "helm" },
    );
    assert.match(error.message, /^helm template failed: .*service\.yaml/s);
  });
});
