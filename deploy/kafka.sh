#!/usr/bin/env bash
# Apache Kafka (KRaft, single node) from Maven Central jars on the machine's Java 17.
#   fetch   download the broker's jars into .cache/kafka/libs (once)
#   start   format the storage on first use, start the broker, wait until it answers
#   stop    stop it by pid
#   status  exit 0 when it is running
. "$(dirname "$0")/lib.sh"
LIBS="$CACHE_DIR/kafka/libs"
DATA="$RUN_DIR/kafka-data"
CONF="$RUN_DIR/kafka-server.properties"
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/deploy/kafka/pom.xml")

port_open() { (exec 3<>/dev/tcp/127.0.0.1/9092) 2>/dev/null; }

case "${1:-}" in
  fetch)
    # keyed on the pom's hash, so a changed dependency list fetches afresh
    want=$(sha256sum "$ROOT/deploy/kafka/pom.xml" | cut -c1-16)
    if [[ "$(cat "$LIBS/.pom-hash" 2>/dev/null)" != "$want" ]]; then
      say "fetching Apache Kafka $KAFKA_VERSION from Maven Central"
      rm -rf "$LIBS"
      mvn -q -B -f "$ROOT/deploy/kafka/pom.xml" dependency:copy-dependencies \
        -DoutputDirectory="$LIBS" -DincludeScope=runtime
      echo "$want" > "$LIBS/.pom-hash"
    fi
    ;;
  start)
    "$0" fetch
    if pid_alive kafka; then say "kafka already running"; exit 0; fi
    if port_open; then say "something already listens on 127.0.0.1:9092; using it as Kafka"; exit 0; fi
    sed "s:@DATA_DIR@:$DATA:" "$ROOT/deploy/kafka/server.properties" > "$CONF"
    JAVA_OPTS=(-Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true
               -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.properties")
    if [[ ! -f "$DATA/meta.properties" ]]; then
      say "formatting Kafka storage in $DATA"
      java "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.tools.StorageTool format \
        -t "$(java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)" \
        -c "$CONF" >"$LOG_DIR/kafka-format.log" 2>&1
    fi
    say "starting Kafka $KAFKA_VERSION on 127.0.0.1:9092"
    nohup java "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.Kafka "$CONF" >>"$LOG_DIR/kafka.log" 2>&1 &
    echo $! > "$RUN_DIR/kafka.pid"
    wait_for "Kafka on 127.0.0.1:9092" 90 port_open || { tail -30 "$LOG_DIR/kafka.log"; exit 1; }
    ;;
  stop) stop_pid kafka ;;
  status) pid_alive kafka || port_open ;;
  *) echo "usage: $0 fetch|start|stop|status" >&2; exit 2 ;;
esac
