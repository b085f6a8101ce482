package org.dfcspark.jobs.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.util.function.Consumer;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;

/**
 * Says so when a cluster job has no executor a minute after it started ("Initial job has not accepted any
 * resources" is all Spark says, forever): what the job asked for per executor, and, for a standalone master whose
 * web UI answers, what its alive workers have free. One line, once per application; the job keeps waiting (workers
 * may still be starting).
 */
public final class ResourceWatch {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String watched;

    private ResourceWatch() {}

    /** Starts the watch (a daemon thread) for a cluster master; nothing in local mode. */
    public static synchronized void start(SparkContext sc, long afterMillis, Consumer<String> log) {
        if (ClusterPaths.isLocal(sc.master()) || sc.applicationId().equals(watched)) return;
        watched = sc.applicationId();
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(afterMillis);
                if (!sc.isStopped() && sc.statusTracker().getExecutorInfos().length <= 1) log.accept(message(sc.getConf(), clusterHas(sc.master())));
            } catch (InterruptedException ignored) {
                // the application ended
            } catch (RuntimeException e) {
                // only advice; never disturb the job
            }
        }, "dfc-resource-watch");
        t.setDaemon(true);
        t.start();
    }

    /** The line: what one executor needs and how many were asked for, then what the cluster has (when known). */
    static String message(SparkConf c, String clusterHas) {
        String gpu = c.get("spark.executor.resource.gpu.amount", "0");
        return "dfc: no executor has started after a minute on " + c.get("spark.master", "?") + ": this job asks for "
                + c.get("spark.executor.instances", c.get("spark.cores.max", "as many as fit") + " cores of") + " executor(s) of "
                + c.get("spark.executor.cores", "all free") + " core(s), " + c.get("spark.executor.memory", "1g") + " memory"
                + (gpu.equals("0") ? "" : " and " + gpu + " gpu") + " each; " + (clusterHas == null ? "check the cluster's free resources"
                : "the cluster has " + clusterHas) + ". Lower the sizes in your --properties-file (conf/spark-cpu-cluster.conf or "
                + "conf/spark-gpu-cluster.conf) to what a worker has, or add workers";
    }

    /** "N alive worker(s): free cores / free memory each" from a standalone master's UI (port 8080), or null. */
    static String clusterHas(String master) {
        if (!master.startsWith("spark://")) return null;
        try {
            String host = URI.create(master.split(",")[0]).getHost();
            HttpURLConnection http = (HttpURLConnection) URI.create("http://" + host + ":8080/json/").toURL().openConnection();
            http.setConnectTimeout(2000);
            http.setReadTimeout(2000);
            JsonNode n;
            try (InputStream in = http.getInputStream()) {
                n = JSON.readTree(in);
            }
            StringBuilder s = new StringBuilder();
            int alive = 0;
            for (JsonNode w : n.path("workers")) {
                if (!"ALIVE".equals(w.path("state").asText())) continue;
                alive++;
                s.append(s.length() == 0 ? "" : ", ").append(w.path("coresfree").asInt()).append(" free core(s) / ")
                        .append(w.path("memoryfree").asInt()).append(" MB");
            }
            return alive + " alive worker(s)" + (alive == 0 ? "" : ": " + s);
        } catch (Exception e) {
            return null;
        }
    }
}
