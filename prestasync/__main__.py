from prestasync.cli import main

main()
