"""Drives conveyor server with python-gitlab, unchanged, as a team's scripts would.

Usage: python python_gitlab_scenario.py URL TOKEN PROJECT_ID
Prints one JSON object with what the calls answered; the TypeScript test asserts on it.
Each step names the python-gitlab call it exercises (docs: python-gitlab.readthedocs.io).
"""
import json
import sys

import gitlab

url, token, project_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
gl = gitlab.Gitlab(url, private_token=token)
gl.auth()
out = {"user": gl.user.username}

project = gl.projects.get(project_id)
out["project"] = project.path_with_namespace

project.variables.create({"key": "PY_SECRET", "value": "py-secret-value-123", "masked": True})
out["variable"] = project.variables.get("PY_SECRET").value

pipeline = project.pipelines.create({"ref": "main", "variables": [{"key": "FROM_PY", "value": "yes"}]})
out["created"] = {"id": pipeline.id, "status": pipeline.status, "source": pipeline.source}
out["listed"] = [p.id for p in project.pipelines.list(get_all=True)]
jobs = pipeline.jobs.list(get_all=True)
out["jobs"] = sorted(j.name for j in jobs)
job = project.jobs.get(jobs[0].id)
out["job"] = {"status": job.status, "has_created_at": job.created_at is not None}
out["trace_type"] = type(job.trace()).__name__

pipeline.cancel()
out["canceled"] = project.pipelines.get(pipeline.id).status
pipeline.retry()
out["retried"] = project.pipelines.get(pipeline.id).status

out["environments"] = [e.name for e in project.environments.list(get_all=True)]
out["runners"] = len(gl.runners.all(get_all=True))

try:
    gitlab.Gitlab(url, private_token="glpat-wrong").projects.get(project_id)
    out["bad_token"] = "accepted"
except gitlab.exceptions.GitlabAuthenticationError as error:
    out["bad_token"] = error.response_code

print(json.dumps(out))
