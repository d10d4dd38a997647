from smtpdoctor.cli import main

raise SystemExit(main())
