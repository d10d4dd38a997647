from smtpdoctor.entry import main

raise SystemExit(main())
