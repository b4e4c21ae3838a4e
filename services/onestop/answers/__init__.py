"""The onestop API's answers (response models): what each operation returns, for the OpenAPI document."""
from services.onestop.answers.meetings import *  # noqa: F403
from services.onestop.answers.people import *  # noqa: F403
from services.onestop.answers.referrals import *  # noqa: F403
