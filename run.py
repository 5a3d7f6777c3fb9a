"""Start Rekonekt: migrate, load reference data (and demo data on an empty database unless
DEMO=0), then serve on http://127.0.0.1:$PORT (default 5000).

For production, serve ``app:create_app()`` with gunicorn instead (see README)."""
from __future__ import annotations

from app import create_app
from app.bootstrap import prepare
from app.demo import DEMO_ACCOUNTS
from config import Config


def main() -> None:
    config = Config()
    app = create_app(config)
    outcome = prepare(app, demo=config.DEMO, demo_password=config.DEMO_PASSWORD)
    url = f"http://127.0.0.1:{config.PORT}"
    print(f"\nRekonekt est prêt : {url}\n")
    if outcome["demo_present"]:
        print("Comptes de démonstration (mot de passe : celui de DEMO_PASSWORD, par défaut « demo ») :")
        for username, role, bound in DEMO_ACCOUNTS:
            print(f"  {username:<18} {role:<14} {bound or ''}")
    if outcome["empty"]:
        print("Base vide sans démonstration : créez un administrateur avec\n"
              "  .venv/bin/flask --app 'app:create_app()' fab create-admin")
    print()
    app.run(host="127.0.0.1", port=config.PORT, debug=False, threaded=True)


if __name__ == "__main__":
    main()
