"""schemathesis against the live schema (issue 15, item 4): for every operation, generated requests
— valid and invalid — sent as several people with real tokens get no server error, and every
response conforms to the schema (status documented, body matching, problem details on errors).

The requests go through the WSGI application in-process, on the module's world (tests/api/world.py);
what they change is rolled back after each test. CI runs fewer examples per operation than a local
run can afford (SCHEMATHESIS_EXAMPLES), still random each run.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config.wsgi import application

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "12"))
# People of the access matrix the requests are sent as: nobody, a member who may read, one who may
# write, a reviewer, an engaged auditor and a program admin.
AS = ("anonymous", "viewer", "officer", "reviewer", "auditor_inside", "admin")


@schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
def test_no_request_gets_a_server_error_or_a_response_outside_the_schema(api_world, case):
    for role in AS:
        headers = {} if role == "anonymous" else {"Authorization": f"Bearer {api_world.tokens[role]}"}
        # Every check but "a schema-valid request must be accepted": a cursor is opaque (only the
        # API's own `next` is valid), and ids that exist cannot be told by a schema.
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
