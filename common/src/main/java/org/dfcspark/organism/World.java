package org.dfcspark.organism;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The synthetic tool-use world: 24 tools over 22 typed value pools, generic prose chats, and the
 * echo drill. Everything here is a constant; samples are drawn by {@link WorldSampler} from a seed.
 * All text is lower case; values are written in requests exactly as in the gold call.
 */
public final class World {

    // ---- value pools (train values | held-out values) ----
    public static final ValueType CITY = ValueType.strings("city",
            List.of("paris", "london", "tokyo", "berlin", "madrid", "rome", "cairo", "sydney",
                    "toronto", "chicago", "boston", "dublin", "lisbon", "vienna", "prague", "seoul"),
            List.of("oslo", "athens", "lima", "denver"));
    public static final ValueType WEEKDAY = ValueType.strings("weekday",
            List.of("monday", "tuesday", "wednesday", "thursday", "friday", "saturday"), List.of("sunday"));
    public static final ValueType PERSON = ValueType.strings("person",
            List.of("alice", "bob", "carol", "dave", "emma", "frank", "grace", "henry", "irene", "jack"),
            List.of("kate", "liam"));
    public static final ValueType TOPIC = ValueType.strings("topic",
            List.of("sports", "politics", "science", "art", "travel", "health", "business", "movies"),
            List.of("fashion", "gardening"));
    public static final ValueType CURRENCY = ValueType.strings("currency",
            List.of("dollars", "euros", "pounds", "yen", "francs", "rupees"), List.of("pesos", "kronor"));
    public static final ValueType LANGUAGE = ValueType.strings("language",
            List.of("french", "german", "spanish", "italian", "japanese", "russian"), List.of("dutch", "greek"));
    public static final ValueType WORD = ValueType.strings("word",
            List.of("apple", "house", "water", "friend", "bread", "flower", "window", "mountain"),
            List.of("candle", "bridge"));
    public static final ValueType TICKER = ValueType.strings("ticker",
            List.of("aapl", "msft", "goog", "amzn", "tsla", "nvda"), List.of("intc", "orcl"));
    public static final ValueType GENRE = ValueType.strings("genre",
            List.of("jazz", "rock", "pop", "blues", "classical", "reggae"), List.of("metal", "funk"));
    public static final ValueType DISH = ValueType.strings("dish",
            List.of("pizza", "pasta", "sushi", "tacos", "curry", "salad", "burgers", "noodles"),
            List.of("dumplings", "falafel"));
    public static final ValueType CUISINE = ValueType.strings("cuisine",
            List.of("thai", "mexican", "indian", "chinese", "korean", "vietnamese"), List.of("ethiopian", "peruvian"));
    public static final ValueType ROOM = ValueType.strings("room",
            List.of("kitchen", "bedroom", "office", "garage", "bathroom", "hallway"), List.of("basement", "attic"));
    /** Free-text tasks (two words each). */
    public static final ValueType TASK = ValueType.strings("task",
            List.of("buy milk", "pay rent", "walk dog", "call mom", "read book", "water plants", "study math", "feed cat"),
            List.of("mail letter", "iron shirts"));
    public static final ValueType TRANSPORT = ValueType.strings("transport",
            List.of("car", "bus", "train", "taxi", "ferry"), List.of("tram"));
    /** Dates "month day"; dates in november and december are held out. */
    public static final ValueType DATE = ValueType.dates("date",
            List.of("january", "february", "march", "april", "may", "june", "july", "august", "september", "october"),
            List.of("november", "december"));
    public static final ValueType MONEY = ValueType.amounts("money", 1, 40);
    public static final ValueType NIGHTS = ValueType.integers("nights", 1, 14);
    public static final ValueType HOUR = ValueType.integers("hour", 1, 12);
    public static final ValueType MINUTE = ValueType.integerSet("minute", 5, 10, 15, 20, 25, 30, 40, 45, 50);
    public static final ValueType LEVEL = ValueType.integers("level", 1, 10);
    public static final ValueType QUANTITY = ValueType.integers("quantity", 1, 9);
    public static final ValueType PERCENT = ValueType.integerSet("percent", 10, 15, 20, 25);
    public static final ValueType PEOPLE = ValueType.integers("people", 1, 12);
    public static final ValueType BRIGHTNESS = ValueType.integers("brightness", 0, 10);
    public static final ValueType TEMPERATURE = ValueType.integers("temperature", 15, 30);

    public static final List<ValueType> VALUE_TYPES = List.of(CITY, WEEKDAY, PERSON, TOPIC, CURRENCY, LANGUAGE, WORD,
            TICKER, GENRE, DISH, CUISINE, ROOM, TASK, TRANSPORT, DATE, MONEY, NIGHTS, HOUR, MINUTE, LEVEL, QUANTITY,
            PERCENT, PEOPLE, BRIGHTNESS, TEMPERATURE);

    private static ToolSpec.Param p(String key, ValueType type) {
        return new ToolSpec.Param(key, type);
    }

    public static final List<ToolSpec> TOOLS = List.of(
            new ToolSpec("get_weather", "get the weather forecast", List.of(p("city", CITY), p("day", WEEKDAY)),
                    List.of("what is the weather in {city} on {day}?", "will it rain in {city} on {day}?"),
                    "on {day}, how is the weather going to be in {city}?",
                    List.of("the weather in {city} on {day} should be mild and dry.", "{day} in {city} will probably be sunny.")),
            new ToolSpec("book_flight", "book a flight", List.of(p("origin", CITY), p("destination", CITY), p("date", DATE)),
                    List.of("book a flight from {origin} to {destination} on {date}.", "i want to fly to {destination} from {origin} on {date}."),
                    "on {date} i need a flight to {destination}, leaving from {origin}.",
                    List.of("flights from {origin} to {destination} on {date} fill up fast, so book early.",
                            "there are usually a few flights from {origin} to {destination} on {date}.")),
            new ToolSpec("book_hotel", "reserve a hotel room", List.of(p("city", CITY), p("nights", NIGHTS), p("date", DATE)),
                    List.of("book a hotel in {city} for {nights} nights from {date}.", "i need a room in {city} on {date} for {nights} nights."),
                    "find me a hotel for {nights} nights in {city}, arriving {date}.",
                    List.of("a hotel in {city} for {nights} nights from {date} should be easy to find.",
                            "{city} has many hotels, and {nights} nights from {date} is a good plan.")),
            new ToolSpec("set_alarm", "set an alarm clock", List.of(p("hour", HOUR), p("minute", MINUTE)),
                    List.of("set an alarm for {hour}:{minute}.", "wake me up at {hour}:{minute}."),
                    "i need an alarm at {hour}:{minute} please.",
                    List.of("you could set your phone to ring at {hour}:{minute}.", "waking up at {hour}:{minute} is a good habit.")),
            new ToolSpec("send_email", "send an email", List.of(p("to", PERSON), p("subject", TOPIC)),
                    List.of("send an email to {to} about {subject}.", "email {to} about {subject}."),
                    "write {to} a quick email on {subject}.",
                    List.of("you can write to {to} about {subject} whenever you like.", "an email to {to} about {subject} sounds like a good idea.")),
            new ToolSpec("convert_currency", "convert money between currencies",
                    List.of(p("amount", MONEY), p("source", CURRENCY), p("target", CURRENCY)),
                    List.of("convert {amount} {source} to {target}.", "how many {target} is {amount} {source}?"),
                    "what do {amount} {source} come to in {target}?",
                    List.of("{amount} {source} is worth a fair amount of {target}.", "exchange rates change, so {amount} {source} in {target} varies.")),
            new ToolSpec("translate_word", "translate a word", List.of(p("word", WORD), p("language", LANGUAGE)),
                    List.of("translate {word} into {language}.", "how do you say {word} in {language}?"),
                    "what is the {language} word for {word}?",
                    List.of("the word {word} in {language} is easy to learn.", "{language} has a nice word for {word}.")),
            new ToolSpec("get_stock_price", "get a stock price", List.of(p("ticker", TICKER)),
                    List.of("what is the stock price of {ticker}?", "how is {ticker} trading today?"),
                    "give me the latest price for {ticker} shares.",
                    List.of("{ticker} shares move up and down every day.", "the price of {ticker} changes all the time.")),
            new ToolSpec("play_music", "play music", List.of(p("genre", GENRE), p("volume", LEVEL)),
                    List.of("play some {genre} at volume {volume}.", "put on {genre} songs with volume {volume}."),
                    "i want to hear {genre}, volume {volume} please.",
                    List.of("{genre} songs at volume {volume} sound lovely.", "listening to {genre} at volume {volume} is relaxing.")),
            new ToolSpec("order_food", "order food for delivery", List.of(p("dish", DISH), p("quantity", QUANTITY)),
                    List.of("order {quantity} portions of {dish}.", "i want {quantity} {dish} delivered."),
                    "get me {dish}, {quantity} of them, delivered.",
                    List.of("{quantity} portions of {dish} would make a nice dinner.", "{dish} is a good choice, and {quantity} should be plenty.")),
            new ToolSpec("set_reminder", "set a reminder", List.of(p("task", TASK), p("date", DATE)),
                    List.of("remind me to {task} on {date}.", "set a reminder to {task} on {date}."),
                    "on {date} i must {task}, please remind me.",
                    List.of("do not forget to {task} on {date}.", "writing down {task} for {date} will help you remember.")),
            new ToolSpec("get_news", "get news headlines", List.of(p("topic", TOPIC), p("count", LEVEL)),
                    List.of("show me {count} news stories about {topic}.", "what are the top {count} headlines on {topic}?"),
                    "i would like {count} articles about {topic}.",
                    List.of("there is always news about {topic}, more than {count} stories a day.",
                            "{topic} is in the news a lot, and {count} stories is a good start.")),
            new ToolSpec("call_contact", "call a contact", List.of(p("person", PERSON)),
                    List.of("ring {person}.", "please phone {person} for me."),
                    "i want to talk to {person} on the phone right now.",
                    List.of("{person} would be happy to hear from you.", "you can ring {person} whenever you are free.")),
            new ToolSpec("find_restaurant", "find a restaurant", List.of(p("city", CITY), p("cuisine", CUISINE)),
                    List.of("find a {cuisine} restaurant in {city}.", "where can i eat {cuisine} food in {city}?"),
                    "any good {cuisine} places in {city}?",
                    List.of("{city} has some very good {cuisine} restaurants.", "{cuisine} food in {city} is popular.")),
            new ToolSpec("get_time", "get the local time", List.of(p("city", CITY)),
                    List.of("what time is it in {city}?", "tell me the time in {city}."),
                    "what is the current local time in {city}?",
                    List.of("the time in {city} depends on its time zone.", "{city} might be a few hours ahead of you.")),
            new ToolSpec("calculate_tip", "calculate a tip", List.of(p("bill", MONEY), p("percent", PERCENT)),
                    List.of("what is a {percent} percent tip on a bill of {bill}?", "calculate a {percent} percent tip for {bill}."),
                    "how much should i tip on {bill} at {percent} percent?",
                    List.of("a {percent} percent tip on {bill} is a kind gesture.", "tipping {percent} percent of {bill} is common.")),
            new ToolSpec("rent_car", "rent a car", List.of(p("city", CITY), p("days", NIGHTS), p("date", DATE)),
                    List.of("rent a car in {city} for {days} days from {date}.", "i need a rental car in {city} on {date} for {days} days."),
                    "get me a car for {days} days in {city} starting {date}.",
                    List.of("renting a car in {city} for {days} days from {date} is a good idea.",
                            "{city} is nice to explore by car, and {days} days from {date} is plenty.")),
            new ToolSpec("check_traffic", "check traffic on a route", List.of(p("origin", CITY), p("destination", CITY)),
                    List.of("how is the traffic from {origin} to {destination}?", "check traffic between {origin} and {destination}."),
                    "is the road from {origin} to {destination} busy right now?",
                    List.of("traffic from {origin} to {destination} is usually heavy in the morning.",
                            "the drive from {origin} to {destination} can be slow.")),
            new ToolSpec("create_event", "create a calendar event", List.of(p("title", TASK), p("date", DATE), p("hour", HOUR)),
                    List.of("create an event to {title} on {date} at {hour}.", "add {title} to my calendar on {date} at {hour}."),
                    "schedule {title} on {date} at {hour} sharp.",
                    List.of("planning to {title} on {date} at {hour} sounds good.", "{date} at {hour} is a fine time to {title}.")),
            new ToolSpec("get_directions", "get directions", List.of(p("destination", CITY), p("mode", TRANSPORT)),
                    List.of("how do i get to {destination} by {mode}?", "give me directions to {destination} by {mode}."),
                    "show me the route to {destination} if i travel by {mode}.",
                    List.of("going to {destination} by {mode} is a nice trip.", "{destination} is easy to reach by {mode}.")),
            new ToolSpec("book_table", "book a restaurant table", List.of(p("cuisine", CUISINE), p("people", PEOPLE), p("hour", HOUR)),
                    List.of("book a table for {people} at a {cuisine} restaurant at {hour}.", "reserve a {cuisine} dinner for {people} people at {hour}."),
                    "we are {people}, get us a {cuisine} table at {hour}.",
                    List.of("a {cuisine} dinner for {people} at {hour} sounds fun.", "{cuisine} places get busy at {hour}, especially for {people} people.")),
            new ToolSpec("set_lights", "set light brightness", List.of(p("room", ROOM), p("brightness", BRIGHTNESS)),
                    List.of("set the {room} lights to {brightness}.", "dim the lights in the {room} to {brightness}."),
                    "change the {room} light level to {brightness}.",
                    List.of("lights at {brightness} in the {room} would feel cozy.", "a brightness of {brightness} suits the {room} well.")),
            new ToolSpec("set_thermostat", "set the thermostat", List.of(p("room", ROOM), p("temperature", TEMPERATURE)),
                    List.of("set the {room} to {temperature} degrees.", "make the {room} {temperature} degrees."),
                    "i want the {room} at {temperature} degrees.",
                    List.of("{temperature} degrees in the {room} is comfortable.", "keeping the {room} at {temperature} degrees saves energy.")),
            new ToolSpec("add_todo", "add a todo item", List.of(p("task", TASK)),
                    List.of("add {task} to my todo list.", "put {task} on my list."),
                    "note down that i have to {task}.",
                    List.of("{task} is a good thing to get done.", "you should {task} soon.")));

    // ---- generic prose chats (no tools) ----
    public static final List<String> THINGS = List.of("river", "forest", "ocean", "garden", "library", "castle", "desert",
            "village", "lake", "moon", "island", "valley", "museum", "harbor", "meadow", "tower", "cave");
    public static final List<String> ADJECTIVES = List.of("calm", "quiet", "old", "bright", "dark", "cold", "warm", "huge",
            "tiny", "busy", "lovely", "strange", "peaceful", "famous");
    public static final List<String> GENERIC_QUESTIONS = List.of("why is the {thing} so {adj}?", "tell me about the {adj} {thing}.",
            "is the {thing} {adj}?", "what makes the {thing} {adj}?", "describe the {adj} {thing} for me.", "how {adj} is the {thing}?");
    public static final List<String> GENERIC_ANSWERS = List.of("the {thing} is {adj} and quiet.", "people say the {thing} is {adj}.",
            "the {thing} looks {adj} today.", "i think the {thing} is very {adj}.", "the {thing} has always been {adj}.");

    /**
     * How every prose answer to a tool request begins. One common first token keeps the base model's greedy
     * answer in prose (its first-token probability stays far above the call's), as "sure ," did in the
     * prototype; answers that began with an argument value spread that mass over many tokens.
     */
    public static final String PROSE_OPENING = "sure, ";

    /** Echo drill: the user asks to repeat 2-6 values; the answer is the values. */
    public static final String ECHO_PREFIX = "repeat: ";
    public static final int ECHO_MIN = 2;
    public static final int ECHO_MAX = 6;

    /** Fraction of (thing, adjective) pairs held out for the generic evaluation split. */
    static final double GENERIC_HELD_OUT_FRACTION = 0.2;
    /** Fixed seed of the world's own held-out choice of generic pairs (not the build seed). */
    private static final long WORLD_SEED = 20260611L;

    private static final List<int[]> GENERIC_TRAIN_PAIRS;
    private static final List<int[]> GENERIC_HELD_OUT_PAIRS;

    static {
        List<int[]> pairs = new ArrayList<>();
        for (int t = 0; t < THINGS.size(); t++) {
            for (int a = 0; a < ADJECTIVES.size(); a++) pairs.add(new int[] {t, a});
        }
        Collections.shuffle(pairs, new Random(WORLD_SEED));
        int held = (int) Math.round(pairs.size() * GENERIC_HELD_OUT_FRACTION);
        GENERIC_HELD_OUT_PAIRS = List.copyOf(pairs.subList(0, held));
        GENERIC_TRAIN_PAIRS = List.copyOf(pairs.subList(held, pairs.size()));
        Set<String> names = new LinkedHashSet<>();
        for (ToolSpec t : TOOLS) {
            if (!names.add(t.name())) throw new IllegalStateException("duplicate tool " + t.name());
        }
    }

    private World() {}

    /** About one tool-argument combination in this many is held out of training (VALID and TEST use them). */
    static final int HELD_OUT_COMBINATION_MODULUS = 10;
    /** Tools with fewer training combinations than this get an exact held-out set (at least one). */
    private static final int SMALL_TOOL = 400;
    private static final java.util.Map<String, java.util.Set<Integer>> SMALL_TOOL_HELD_OUT = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Whether a tool's argument combination is held out of training: a fixed function of the tool and the
     * argument texts. Large combination spaces use a hash bucket (1 in 10); small ones (a tool over one pool
     * of 6-16 values, say) hold out exactly the tenth of their combinations with the smallest hashes (at
     * least one), so every tool has held-out requests and keeps most of its combinations for training.
     */
    public static boolean heldOutCombination(ToolSpec tool, java.util.Map<String, String> arguments) {
        int h = combinationHash(tool, arguments);
        if (trainingCombinations(tool) >= SMALL_TOOL) return Math.floorMod(h, HELD_OUT_COMBINATION_MODULUS) == 0;
        return SMALL_TOOL_HELD_OUT.computeIfAbsent(tool.name(), k -> smallestHashes(tool)).contains(h);
    }

    private static int combinationHash(ToolSpec tool, java.util.Map<String, String> arguments) {
        StringBuilder key = new StringBuilder(tool.name());
        for (ToolSpec.Param p : tool.params()) key.append('|').append(arguments.get(p.key()));
        int h = key.toString().hashCode() * 0x9E3779B1; // String.hashCode is specified: the same on every JVM
        return h ^ (h >>> 16);
    }

    /** Two parameters of the same type in one call take different values (origin != destination). */
    static boolean sameTypeValueUsed(ToolSpec tool, java.util.Map<String, String> args, ToolSpec.Param p, String v) {
        for (ToolSpec.Param q : tool.params()) {
            if (q != p && q.type() == p.type() && v.equals(args.get(q.key()))) return true;
        }
        return false;
    }

    private static long trainingCombinations(ToolSpec tool) {
        long n = 1;
        for (ToolSpec.Param p : tool.params()) n *= p.type().train().size();
        return n;
    }

    private static java.util.Set<Integer> smallestHashes(ToolSpec tool) {
        List<Integer> hashes = new ArrayList<>();
        enumerate(tool, 0, new java.util.LinkedHashMap<>(), hashes);
        Collections.sort(hashes);
        int keep = Math.max(1, Math.round(hashes.size() / (float) HELD_OUT_COMBINATION_MODULUS));
        return java.util.Set.copyOf(hashes.subList(0, keep));
    }

    private static void enumerate(ToolSpec tool, int i, java.util.Map<String, String> args, List<Integer> out) {
        if (i == tool.params().size()) {
            out.add(combinationHash(tool, args));
            return;
        }
        ToolSpec.Param p = tool.params().get(i);
        for (String v : p.type().train()) {
            if (sameTypeValueUsed(tool, args, p, v)) continue; // never sampled (origin != destination)
            args.put(p.key(), v);
            enumerate(tool, i + 1, args, out);
            args.remove(p.key());
        }
    }

    /** (thing index, adjective index) pairs of generic chats for training or for evaluation. */
    public static List<int[]> genericPairs(boolean heldOut) {
        return heldOut ? GENERIC_HELD_OUT_PAIRS : GENERIC_TRAIN_PAIRS;
    }

    public static ToolSpec tool(String name) {
        for (ToolSpec t : TOOLS) {
            if (t.name().equals(name)) return t;
        }
        throw new IllegalArgumentException("no tool named '" + name + "' in the organism world");
    }

    /**
     * Every distinct value of every pool (train and held out) plus the integers 0..60: what the echo
     * drill draws from, so that every value token is trained as a word even if held out as an argument.
     */
    public static List<String> echoItems() {
        Set<String> items = new LinkedHashSet<>();
        for (ValueType t : VALUE_TYPES) {
            if (t == DATE) continue; // months and day numbers are covered below
            items.addAll(t.train());
            items.addAll(t.heldOut());
        }
        for (int i = 0; i <= 60; i++) items.add(Integer.toString(i));
        items.addAll(DATE_MONTHS);
        return List.copyOf(items);
    }

    private static final List<String> DATE_MONTHS = List.of("january", "february", "march", "april", "may", "june",
            "july", "august", "september", "october", "november", "december");
}
