"""Zhuiguang settings: one module, configured only by environment variables (see README, "Configuration").

With no variables at all this is the embedded mode: SQLite and private media under `var/`, Celery on kombu's
filesystem transport, emails printed to the console. Production switches each part by variable.
"""

from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_list, env_str, parse_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off the portal refuses to start without it; set SECRET_KEY to a "
            "long random value, e.g. the output of: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "embedded-development-only-key-never-use-in-production-7c1f0e2a9b"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is not set. With DEBUG off, list the portal's host names, e.g. "
                               "ALLOWED_HOSTS=zhuiguang.example.org")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "portal",
    "submissions",
    "judging",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.user_language_middleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, so its process_exception sees a view's database error first: a 503 page instead of a 500.
    "portal.resilience.DatabaseUnavailableMiddleware",
]

if not DEBUG:
    # WhiteNoise serves collected static files in production; in development runserver serves them from the apps.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
AUTH_USER_MODEL = "portal.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

# Database: DATABASE_URL, default an SQLite file under var/.
DATABASES = {
    "default": parse_database_url(env_str("DATABASE_URL", f"sqlite:///{VAR_DIR}/db.sqlite3"), base_dir=BASE_DIR)
}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Behind PgBouncer in transaction pooling mode each transaction may get another server connection, so a cursor
# declared in one (QuerySet.iterator() on PostgreSQL: the streamed exports) would be gone in the next.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DB_DISABLE_SERVER_SIDE_CURSORS", False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: CACHE_URL redis://... in production (allauth's rate limits must be shared between web processes).
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL:
    raise ImproperlyConfigured("CACHE_URL must be a redis:// URL (or unset for the in-process cache).")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Accounts (django-allauth): email only, verified before first login, allauth's rate limits left on.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
# The competition tells people plainly that an address is taken (the issue asks for it); allauth's rate
# limits bound how fast anyone can probe addresses that way.
ACCOUNT_PREVENT_ENUMERATION = False
ACCOUNT_FORMS = {"signup": "portal.forms.SignupForm"}
ACCOUNT_ADAPTER = "portal.adapters.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Zhuiguang] "
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "account_login"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Zhuiguang"

# Judges and organizers must have two-factor authentication before using their pages. The demo that
# `make run` starts turns this off, and every staff page then says so.
STAFF_MFA_REQUIRED = env_bool("STAFF_MFA_REQUIRED", True)

# Internationalisation: stored in UTC, shown in the competition's timezone (TIME_ZONE is the fallback).
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Files. Private media lives in var/media (never served as a directory); STORAGE_BACKEND=s3 switches to any
# S3-compatible service through django-storages.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # no URL pattern serves it: private files go through views that check access
STORAGE_BACKEND = env_str("STORAGE_BACKEND", "local")
if STORAGE_BACKEND == "s3":
    if not env_str("S3_BUCKET"):
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs S3_BUCKET (and usually S3_ENDPOINT_URL and keys).")
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET"),
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "region_name": env_str("S3_REGION") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env_int("S3_URL_EXPIRE_SECONDS", 600),
            "file_overwrite": False,
        },
    }
elif STORAGE_BACKEND == "local":
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured("STORAGE_BACKEND must be 'local' or 's3'.")
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

# Email: printed to the console in the embedded mode, SMTP otherwise.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Zhuiguang <noreply@zhuiguang.example.org>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# Celery: kombu's filesystem transport under var/celery with no configuration, Redis in production.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_DIR = VAR_DIR / "celery"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DIR / "queue"),
        "data_folder_out": str(CELERY_DIR / "queue"),
        "processed_folder": str(CELERY_DIR / "processed"),
        "control_folder": str(CELERY_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", f"file://{CELERY_DIR / 'results'}")
else:
    CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Security. With DEBUG off everything `manage.py check --deploy` asks for is on; behind nginx set
# SECURE_PROXY_SSL_HEADER=true so Django knows the original request was HTTPS.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: pages hand the token to JS in data attributes and htmx posts it as a form field.
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "portal.views.errors.csrf_failure"
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def _media_origins():
    """Where the browser may fetch images and video from besides the portal: the S3 service, when files live there
    or previews are handed off to presigned URLs. MEDIA_ORIGINS (comma-separated) overrides the guess."""
    if env_str("MEDIA_ORIGINS"):
        return env_list("MEDIA_ORIGINS")
    if env_str("STORAGE_BACKEND", "local") != "s3" and env_str("PLAYBACK_BACKEND", "django") != "s3":
        return []
    endpoint = env_str("S3_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint)
        # Path-style (https://minio.example.org/bucket/...) and virtual-host style (https://bucket.minio...) URLs.
        return [f"{parts.scheme}://{parts.netloc}", f"{parts.scheme}://*.{parts.netloc}"]
    region = env_str("S3_REGION")
    bucket = env_str("S3_BUCKET")
    return [f"https://{bucket}.s3.amazonaws.com"] + ([f"https://{bucket}.s3.{region}.amazonaws.com"] if region else [])


# Content-Security-Policy (django-csp): no inline script or style anywhere, so an injected tag or attribute does
# nothing. Responses that set their own policy keep it (user files are sandboxed in submissions.views.files).
MEDIA_ORIGINS = _media_origins()
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *MEDIA_ORIGINS],
        "media-src": ["'self'", *MEDIA_ORIGINS],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}


# Entry materials (posters, stills, documents). Sizes in bytes; videos have their own limits (video pipeline).
MATERIAL_IMAGE_MAX_BYTES = env_int("MATERIAL_IMAGE_MAX_BYTES", 20 * 1024 * 1024)
MATERIAL_DOCUMENT_MAX_BYTES = env_int("MATERIAL_DOCUMENT_MAX_BYTES", 30 * 1024 * 1024)
ENTRY_MATERIALS_MAX_BYTES = env_int("ENTRY_MATERIALS_MAX_BYTES", 200 * 1024 * 1024)
MATERIAL_IMAGE_MAX_PIXELS = env_int("MATERIAL_IMAGE_MAX_PIXELS", 50_000_000)

# Videos: resumable (tus) uploads into a staging folder, then the media pipeline on the "media" queue.
TUS_MAX_SIZE = env_int("TUS_MAX_SIZE", 10 * 1024**3)  # per file
ENTRY_VIDEO_QUOTA_BYTES = env_int("ENTRY_VIDEO_QUOTA_BYTES", 60 * 1024**3)  # all videos of one entry
# Several web servers must share this folder (NFS or similar): a resumed upload may reach any of them.
UPLOAD_STAGING_DIR = Path(env_str("UPLOAD_STAGING_DIR", str(VAR_DIR / "uploads")))
UPLOAD_EXPIRE_HOURS = env_int("UPLOAD_EXPIRE_HOURS", 48)
VIDEO_STALL_MINUTES = env_int("VIDEO_STALL_MINUTES", 20)
VIDEO_MAX_ATTEMPTS = env_int("VIDEO_MAX_ATTEMPTS", 3)
VIDEO_EPISODE_MIN_SECONDS = env_int("VIDEO_EPISODE_MIN_SECONDS", 30)
VIDEO_EPISODE_MAX_SECONDS = env_int("VIDEO_EPISODE_MAX_SECONDS", 15 * 60)
# How previews reach the browser: "django" streams with HTTP Range; "nginx" hands off with X-Accel-Redirect to
# PLAYBACK_X_ACCEL_PREFIX (an internal location aliasing MEDIA_ROOT); "s3" redirects to a presigned URL.
PLAYBACK_BACKEND = env_str("PLAYBACK_BACKEND", "django")
if PLAYBACK_BACKEND not in {"django", "nginx", "s3"}:
    raise ImproperlyConfigured("PLAYBACK_BACKEND must be django, nginx or s3.")
PLAYBACK_X_ACCEL_PREFIX = env_str("PLAYBACK_X_ACCEL_PREFIX", "/protected-media/")
# ffmpeg work (probe, checks, thumbnails, preview transcode: the video_* tasks) has its own "media" queue so an
# hour of transcoding never delays an email or a poster thumbnail (Pillow, seconds), which stay on "default".
CELERY_TASK_ROUTES = {"submissions.tasks.video_*": {"queue": "media"}}
CELERY_BEAT_SCHEDULE = {
    "expire-abandoned-uploads": {"task": "submissions.tasks.expire_uploads", "schedule": 15 * 60},
    "retry-stalled-videos": {"task": "submissions.tasks.retry_stalled_videos", "schedule": 60},
    # Each scheduled result is also queued with its own eta; this catches one whose message was lost.
    "publish-due-results": {"task": "judging.tasks.publish_due_versions", "schedule": 60},
}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # An unacknowledged task (its worker was killed) is delivered again after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
