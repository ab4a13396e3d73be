from sla_monitor.delivery.process import main

main()
