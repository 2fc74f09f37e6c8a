import factory

from cadence.accounts.choices import Kind, Role
from cadence.accounts.models import User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Staff{n}")
    kind = Kind.STAFF
    role = Role.CLINICIAN
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # synthetic, for tests only


def enrolled(user: User, secret: str = TOTP_SECRET) -> list[str]:
    """Give a user a confirmed authenticator (last used two steps ago) and ten recovery codes;
    returns the recovery codes in clear text."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from cadence.accounts import mfa
    from cadence.accounts.models import RecoveryCode, TotpDevice

    now = timezone.now()
    TotpDevice.objects.create(
        user=user, secret=secret, enrolled_at=now, last_used_step=mfa.current_step() - 2
    )
    codes = mfa.new_recovery_codes()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=make_password(code), created_at=now) for code in codes
    )
    return codes
