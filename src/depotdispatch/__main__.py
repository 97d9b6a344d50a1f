from depotdispatch.cli import main

main()
