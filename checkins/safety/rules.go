package safety

// The lexicon. Each pattern is written over normalised text (see
// Normalize and compile): lower case, no apostrophes, contractions and
// slang written out ("i am", "do not", "want to", "kill myself"). Review
// changes with the corpus test: every risk line of testdata/corpus.txt
// must still alert, and the idioms' false-alarm rate must stay at or below
// 5 %.

type pattern struct {
	family  Family
	pattern string
}

// pronoun-free on purpose: "want to die" alerts whoever wrote it and
// whatever came before it ("I don't want to die but…", "my friend wants to
// die"): a facilitator judges, the lexicon does not.
var builtin = []pattern{
	// Wanting to die, to be dead, not to wake up, not to be here or exist.
	{FamilyDie, `(want|wants|wanted|wanting|wish|wished|wishing|need|needed|would like|like|ready|going|deserve|deserves|hope|hoping|pray|praying|tempted|trying) to {f}(die|be dead|stop living|stop existing|not exist|not be alive|not be here|not be around|not wake up|never wake up|cease to exist|fade away)`},
	{FamilyDie, `(i|me) {f}(die|dying)( tonight| today| now| soon)? (please|pls)`},
	{FamilyDie, `(wish|wished|wishing|hope|hoping) (i|that i|i could|i would|to) {f}(die|died|be dead|was dead|were dead|could die|would die|had died|never been born|had never been born|was never born|were never born|was not born|was not here|were not here|did not exist|would not wake up|will not wake up|do not wake up|never wake up|not wake up|could disappear|could just disappear|disappear|was gone|were gone|could sleep forever|could go to sleep forever)`},
	{FamilyDie, `(rather|better off|better) {f}(be )?dead`},
	{FamilyDie, `(do not|not|never|no longer|cannot) {f}(want|wanna|wish|like|care) to {f}(live|be alive|exist|be here|be around|wake up|keep living|go on living|stay alive|carry on living|survive)`},
	{FamilyDie, `(want|wish|wanting) (to )?(go to sleep|fall asleep|sleep|to sleep) and {f}(never|not) wake up`},
	{FamilyDie, `(sleep|go to sleep|fall asleep) (forever|and never wake up|and not wake up|for good)`},
	{FamilyDie, `(hate|hates|tired of|sick of|done with) (being alive|living|existing|my life|this life|life)`},
	{FamilyDie, `(i should|should i|maybe i should|i deserve to|i need to|i want to|i am going to|i am ready to) {f}(die|be dead|not exist|not be alive)`},
	{FamilyDie, `(drink|drinking|starve|starving) {f}myself to death`},
	{FamilyDie, `(do not|cannot|can not|never) see myself (being )?(alive|here|around|living) (at|by|in|next|past|until|much)`},
	{FamilyDie, `(do not|never|will not) wake up {f}(tomorrow |again |in the morning )?(that is|it is|it would be|would be|that would be) {f}(fine|ok|okay|for the best|better|a relief|a blessing)`},
	{FamilyDie, `(life|living|existing) is not worth (it|living)`},
	{FamilyDie, `(want|wanna|wish|need|like) to {f}(live|be alive|exist|be here|keep living|go on living|carry on|stay alive|keep going) (anymore|any longer|much longer)`},
	{FamilyDie, `(not|no longer) worth (living|being alive|keeping alive|saving)`},
	{FamilyDie, `(want|wants|wanted|wish) (to )?(vanish|disappear|be gone|not exist|stop existing)`},
	{FamilyDie, `death (would be|is|seems) (a relief|better|easier|peaceful|the answer|the only way|my only option)`},
	{FamilyDie, `(think|thinking|thought|thoughts|dream|dreaming) (about|of) (dying|death|being dead|my death|not existing|not being here)`},
	{FamilyDie, `(want|wish) (it|this|everything|my life|life|the pain) {f}(to|would|could) {f}(end|be over|stop) (forever|for good|permanently)`},

	// Suicide named directly; ending it, ending it all, ending my life.
	{FamilySuicide, `suicide|suicidal|suicidally`},
	{FamilySuicide, `(kill|killing|killed|kills|hang|hanging|hanged|shoot|shooting|drown|drowning|poison|poisoning|off|offing|end|ending) {f}myself`},
	{FamilySuicide, `(take|taking|took|end|ending|ended|finish|finishing) {f}my {f}(own )?life`},
	{FamilySuicide, `(end|ending|finish|finishing) {f}(it|it all|everything|things|this|this life|my suffering|the suffering|it for good|it now|it tonight|it today|myself)`},
	{FamilySuicide, `(want|wants|wish|need|needs|hope|going|ready|plan|planning) (someone|somebody|something|you|a car|a truck|god) to {f}(kill|end) (me|my life)`},
	{FamilySuicide, `(not|never) (going to|gonna|planning to|want to|trying to) {f}(kill myself|hurt myself|end it|end my life)`},
	{FamilySuicide, `(commit|committing|committed|attempt|attempted|attempting) {f}(suicide|it again)`},
	{FamilySuicide, `(better|easier|best) if i (killed myself|ended it|ended my life|was dead|were dead|died|was gone|were gone|did not wake up)`},

	// A plan, a method, a time, means gathered.
	{FamilyPlan, `(have|got|bought|buy|buying|saved|saving|save|stockpiled|stockpiling|collected|collecting|hoarding|hoarded|counted|counting|gathered|gathering|kept|keeping|hidden|hid|hiding|got hold of|ordered) (up )?(all )?(my |the |some |enough |a lot of |lots of |a bottle of |a box of |a pack of |a month of |a stash of |loads of )?({pills}|rope|a rope|a noose|the rope|a gun|the gun|my gun|a knife|the knife|razor|razors|a razor|blades|a blade|poison|bleach|charcoal|a ladder)`},
	{FamilyPlan, `(take|taking|took|swallow|swallowing|swallowed|down|downing|downed) (all|every one of|all of) (my |the |these |those |them )?({pills}|tablets|them)`},
	{FamilyPlan, `(take|taking|took|swallow|swallowing|swallowed|downed|downing) (a bunch of|a handful of|handfuls of|loads of|lots of|a lot of|too many|way too many|extra|double|triple|all the|a load of|a pile of) {pills}`},
	{FamilyPlan, `(i am|standing|sitting|stood|sat|up) on (the|a|this|that) (bridge|roof|rooftop|ledge|edge|tracks|railway|train tracks|cliff|balcony railing|parapet)`},
	{FamilyPlan, `(take|taking|took|swallow|swallowing|swallowed) (a whole|the whole|an entire|the entire|whole) (bottle|box|pack|packet|month|strip)`},
	{FamilyPlan, `(enough|all the|all my) {pills} to (die|kill|end|not wake up|do it|overdose)`},
	{FamilyPlan, `overdose|overdosing|overdosed|overdoses`},
	{FamilyPlan, `(jump|jumping|jumped|throw myself|throwing myself|step|stepping|walk|walking|lie|lying) (off|from|in front of|into|onto|under|out of) (a|the|that|this|my|our)? ?(bridge|roof|rooftop|building|cliff|balcony|train|tracks|car|bus|truck|lorry|tower|window|ledge|motorway|highway|road|river|sea|lake)`},
	{FamilyPlan, `(slit|slash|slashing|cut|cutting|slice|slicing) {f}my (wrist|wrists|throat|veins)`},
	{FamilyPlan, `noose|(tie|tied|tying) (a|the) rope`},
	{FamilyPlan, `(drive|driving|drove|crash|crashing|steer|steering) {f}(my car |the car )?(off|into) (a|the) (cliff|bridge|wall|tree|river|lake|sea|truck|lorry|oncoming)`},
	{FamilyPlan, `(going|gonna|plan|planning|planned|decided|ready|about|want|wanting) to {f}do it (tonight|today|tomorrow|this weekend|this week|soon|now|right now|later|after|when|before|on)`},
	{FamilyPlan, `(i know|i have decided|i decided|i figured out|i have figured out|figured out|worked out|i have worked out|decided) (how|when|where|the way) {gap}(do it|end it|die|kill myself|go)`},
	{FamilyPlan, `(a|my|the) (plan|way|method) (to|for) (die|dying|end it|ending it|kill myself|killing myself|do it|end my life|ending my life|not wake up)`},
	{FamilyPlan, `(tonight|today|tomorrow) (is|will be) the (night|day|end)`},
	{FamilyPlan, `(looked|looking|look|searched|searching|googled|googling|read|reading|research|researching) (up )?(how|ways) to (die|kill myself|end it|end my life|overdose|hang|not wake up)`},
	{FamilyPlan, `(how many|how much) {pills} (would|does|will|to|it takes|does it take|would it take) {gap}(kill|die|overdose|be enough|be fatal|be lethal|not wake up|never wake up)`},
	{FamilyPlan, `lethal dose|fatal dose`},

	// Self-harm, current or recent, and urges to.
	{FamilySelfHarm, `self harm|self harming|self harmed|self injury|self injuring|selfharm`},
	{FamilySelfHarm, `(cut|cutting|cuts|burn|burning|burned|burnt|burns|hurt|hurting|hurts|harm|harming|harmed|scratch|scratching|scratched|hit|hitting|punch|punching|bruise|bruising|punish|punishing|punished|starve|starving|starved|bleed|bleeding|bite|biting|carve|carving|carved|scar|scarring|mutilate|mutilating) {f}(myself|my self)`},
	{FamilySelfHarm, `(scratch|scratching|scratched|pick|picking|picked) {f}(myself|my skin|my arms|my legs)? ?until (i|it) (bled|bleed|bleeds|bleeding)`},
	{FamilySelfHarm, `(cut|cutting|cuts|carve|carving|carved|slash|slashing) {f}(my )?(arm|arms|wrist|wrists|leg|legs|thigh|thighs|skin|hip|hips|stomach|body)( again)?`},
	{FamilySelfHarm, `(urge|urges|want|wanting|wanted|tempted|itching|craving|need|needing) to {f}(cut|burn|hurt myself|harm myself|self harm|bleed|punish myself)`},
	{FamilySelfHarm, `(relapsed|relapse|relapsing) (on|with|into|back into)? ?(self harm|cutting|sh|burning)`},
	{FamilySelfHarm, `(started|start|starting|went back to|back to|thinking about) (cutting|self harm|hurting myself|harming myself|burning myself) (again)?`},
	{FamilySelfHarm, `(fresh|new|deep) (cuts|cut|scars|wounds|burns)`},
	{FamilySelfHarm, `(been|keep|kept|keeps) (cutting|burning myself|hurting myself|harming myself|scratching myself) {f}(again|lately|a lot|every day|every night|more|more and more|since)`},
	{FamilySelfHarm, `(razor|blade|blades) (again|on my|to my|in my hand)`},

	// Hopelessness: no point, no reason to live, can't go on, can't take it.
	{FamilyHopeless, `(no|not any|not a|without any|without a|lost all|lost any|lost my|no more|nothing but|see no) {f}(point|reason|purpose|will|hope|meaning) (in |to |of |for )?(living|life|going on|being alive|existing|being here|carrying on|keep going|keeping going|live|go on|stay|staying|anything|trying|any of this|it all|my life|tomorrow|the future|at all)`},
	{FamilyHopeless, `(what is|whats) the point {f}{more}`},
	{FamilyHopeless, `(do not|cannot|can not|no longer) see (the|any) point (in|of|to) (anything|living|life|going on|trying|being here|being alive|it all|any of it|getting up|carrying on)`},
	{FamilyHopeless, `(feel|feeling|felt|i am) like (giving up|i am giving up|i want to give up|i should give up)( on (everything|life|myself|it all))?`},
	{FamilyHopeless, `(want|wish|need) (everything|it all|all of it|the world) to {f}(stop|end|go away)`},
	{FamilyHopeless, `(want|need|wish) (the pain|this pain|the hurt|my pain|the suffering|this feeling) to {f}(end|stop|go away)`},
	{FamilyHopeless, `(lost cause|beyond help|cannot be helped|past helping|cannot be fixed|broken beyond)`},
	{FamilyHopeless, `i am {f}done$`},
	{FamilyHopeless, `(cannot|can not) {f}(do it|do this|do any of this|do life) {f}({more}|no more)`},
	{FamilyHopeless, `(what is|whats) the point (of|in) (living|life|going on|anything|being alive|existing|trying|any of this|it all|carrying on)`},
	{FamilyHopeless, `(cannot|can not|could not|will not|unable to|not able to|do not think i can|do not know how to) {f}(go on|keep going|carry on|take it|take this|take any more|cope|do this|keep doing this|hold on|live like this|survive this|be here) {f}({more}|forever|like this|any longer)`},
	{FamilyHopeless, `(cannot|can not|could not) (take|handle|bear|stand) it {f}({more}|no more)`},
	{FamilyHopeless, `(i am|i feel|feeling|feel) {f}(hopeless|worthless|empty inside|beyond help|beyond saving|past saving|broken beyond repair|trapped)`},
	{FamilyHopeless, `(no|there is no|lost all|lost|without|not any) hope`},
	{FamilyHopeless, `(nothing|it|this|things|life) (will|is going to|is ever going to|will ever) {f}(get better|change|improve|be okay|be ok)`},
	{FamilyHopeless, `(never|not) (going to|gonna) {f}(get better|be okay|be ok|be happy|feel better|change)`},
	{FamilyHopeless, `(nothing|no one|nobody) (to live for|left to live for|left for me|worth living for)`},
	{FamilyHopeless, `(give|giving|gave|given) up on (life|living|myself|everything|it all)`},
	{FamilyHopeless, `(life|my life|living|everything) (is|feels|seems) {f}(pointless|meaningless|hopeless|worthless|over|unbearable|not worth it)`},
	{FamilyHopeless, `(want|need) (it|this|everything|the pain|all of it|the hurt|the noise|the thoughts) to {f}(stop|end|be over|go away) (forever|for good|permanently|once and for all)`},
	{FamilyHopeless, `(done|finished|over it) with (life|living|everything|it all|existing|this world|this life|trying)`},
	{FamilyHopeless, `(tired|exhausted|sick|weary) of (living|being alive|life|existing|fighting|trying|everything|it all|being me|waking up)`},
	{FamilyHopeless, `(i am|i feel|feel) {f}(done|finished|out of options|out of reasons|at the end of my rope|at the end of the road|at my limit)$`},
	{FamilyHopeless, `(end of my rope|end of the road for me|run out of reasons|ran out of reasons|out of reasons to)`},
	{FamilyHopeless, `(cannot|can not) see (a way out|any way out|a future|a way forward|the point)`},
	{FamilyHopeless, `(trapped|stuck) (with no way out|and there is no way out|forever)`},

	// Being a burden; others better off without them; nobody would care.
	{FamilyBurden, `(i am|i feel like|feel like|i feel|i am just|just|such|only|always) {f}(a |such a |just a |only a |the )?burden`},
	{FamilyBurden, `burden (to|on|for) (everyone|everybody|my family|my friends|them|you|others|people|my kids|my parents|my partner|the world|anyone)`},
	{FamilyBurden, `(better|happier|easier|fine) (off )?without me`},
	{FamilyBurden, `(everyone|everybody|the world|my family|they|people|you all|you|nobody|no one|my kids|my parents|my friends) (would|will|could) {f}(be )?(better|happier|fine|relieved|better off) (off )?(without me|if i (was|were|am) (gone|dead|not around|not here)|if i (was|were) not (here|around)|if i died|if i was not alive|when i am gone|when i am dead)`},
	{FamilyBurden, `(nobody|no one|not one person|not a single person|not anyone|nobody at all) (would|will|could) {f}(miss me|care|notice|even notice|even care|cry|come to my funeral|mind)`},
	{FamilyBurden, `(nobody|no one|not one person|not anyone) {f}(cares|would care|gives a|will miss|would miss|misses|wants me|needs me|loves me)`},
	{FamilyBurden, `(i|they|everyone) (would not|will not|would never|will never) (be )?missed`},
	{FamilyBurden, `(do not|do not even) deserve to (live|be alive|be here|exist)`},
	{FamilyBurden, `(waste of|wasting) (space|oxygen|air|everyones time)`},

	// Saying goodbye: final messages, letters, giving things away, affairs.
	{FamilyGoodbye, `(this is|it is|here is|consider this|take this as) {f}(my )?(final |last )?(goodbye|farewell|message|note|letter)`},
	{FamilyGoodbye, `(goodbye|farewell|bye) (forever|for good|everyone|everybody|all|world|cruel world|to everyone|to you all|for the last time|my friends)`},
	{FamilyGoodbye, `(final|last) (goodbye|farewell|message|words|note|letter)`},
	{FamilyGoodbye, `(wanted|want|need|needed|came|had|here|going|time) to say {f}(goodbye|farewell|my goodbyes|goodbye to (you|you all|everyone|everybody|all of you|the group|my group))`},
	{FamilyGoodbye, `(wrote|written|writing|write|left|leaving|finished) {f}(a|my|the) (suicide note|goodbye letter|goodbye note|last letter|final letter|note for|letter for|letters for|goodbye letters)`},
	{FamilyGoodbye, `(wrote|written|writing|write|left|leaving) (a |my |the |some )?(notes|letters|note|letter) for (my family|everyone|everybody|my kids|my children|my parents|my partner|my husband|my wife|my friends|them all|the people i love|when i am gone|after i am gone|after i go)`},
	{FamilyGoodbye, `(giving|gave|give|given) (away )?(away|all) (my|of my) (things|stuff|belongings|possessions|clothes|cat|dog|pets|books|plants)`},
	{FamilyGoodbye, `(putting|put|getting|got|sorting|sorted|settling|settled) (my |all my )?(affairs|things|life) in order`},
	{FamilyGoodbye, `(making|made|wrote|written|writing|updated|updating) (a|my) will`},
	{FamilyGoodbye, `(thank you|thanks) for everything (and )?(goodbye|bye|farewell)`},
	{FamilyGoodbye, `(i am|so|really|truly) sorry for everything`},
	{FamilyGoodbye, `(tell|please tell|let) (my|them|everyone|her|him) {gap}(i love|i am sorry|i loved|goodbye)`},
	{FamilyGoodbye, `(take care of|look after) (my|the) (cat|dog|pets|kids|children|plants) (for me )?(when i am gone|after i am gone|after i go|when i go|once i am gone)`},

	// Disappearing for ever; not being around much longer.
	{FamilyDisappear, `(disappear|disappearing|vanish|vanishing|go away|going away|leave|leaving|gone) {f}(forever|for good|permanently|for ever|and never come back|and not come back)`},
	{FamilyDisappear, `(will not|not going to|am not going to|do not plan to|do not think i will|may not|might not|probably will not) {f}be (around|here|alive) {f}({more}|tomorrow|next week|for long|by tomorrow|by the next session|by next week|for the next session|much longer|next time|at the next session)`},
	{FamilyDisappear, `(you|they|everyone|nobody|no one|you all) (will not|will never|would not|will not have to|will never have to|do not have to) {f}(see|hear from|deal with|worry about) me (again|ever again|{more}|after tonight|after today)`},
	{FamilyDisappear, `(last time|the last) (you|anyone|anybody|they) (will )?(hear|see|hear from) (from )?me`},
	{FamilyDisappear, `(soon|tomorrow|tonight) (i will|i am going to|i will be|i am) {f}(be )?gone`},
	{FamilyDisappear, `(will be|be) gone (soon|forever|for good|by tomorrow|by morning|tonight|before)`},
	{FamilyDisappear, `gone by the time (you|anyone|anybody|they|someone|somebody) (read|reads|see|sees|get|gets|find|finds) (this|it|my message)`},
	{FamilyDisappear, `(not|no longer) (be|being) (around|here) (for )?({more}|long|much longer|tomorrow)`},
	{FamilyDisappear, `(this|today|tonight) (is|was) (my|the) last (day|night|session|time|check in|message)`},
}

// idioms are everyday phrases that use the lexicon's words harmlessly.
// They are masked before the patterns are matched, so that only the
// idiom's own words are kept out: "I'm dying to see you, but I want to die"
// still alerts. Keep each one narrow: a sentence whose harmless reading is
// not clear must alert.
var idioms = []string{
	`dying to (see|meet|know|hear|try|go|get|tell|read|watch|eat|have|visit|find out|show|share|catch up|talk|start|join|be|leave for)`,
	`(killing|killed|kill|kills|smashing|smashed|slaying|slayed|slay|crushing|crushed|nailing|nailed) it`,
	`to die for`,
	`(die|died|dying|dead|die of|dying of) (laughing|laughter|of laughter|of embarrassment|of boredom|of cringe|from cringe|of shame|of heat|of thirst)`,
	`(i am|that is|that was|literally|lmao|lol|omg) dead (lol|lmao|haha|hahaha|omg|xd|im dead|i am dead)`,
	`(lol|lmao|haha|hahaha|omg) (i am|im) dead`,
	`(dead|deadly) (tired|serious|on|center|centre|end|set|ringer|heat|last|easy|simple|quiet|funny|beat|body|weight|line|lines|lift|bolt)`,
	`(phone|battery|laptop|computer|car|plant|plants|tablet|charger|headphones|tv|wifi|printer|fish|goldfish|hamster|mouse|keyboard|remote|torch|flashlight|bulb|kindle|ipad|iphone|fridge|boiler|engine|radio|speaker|camera|watch|clock|basil|cactus|tomatoes|orchid|succulent) ([a-z]+ )?(is |was |has |had |just |finally |totally |completely )*(dead|died|dying|gone|passed away)`,
	`(my|our|his|her|their|the) (grandma|grandmother|grandpa|grandfather|nan|nana|gran|granny|mum|mom|mother|dad|father|uncle|aunt|auntie|cousin|friend|neighbour|neighbor|dog|cat|pet|rabbit|hamster|fish|horse|bird|parrot|teacher|boss|colleague|coworker|brother|sister|husband|wife|partner|son|daughter|grandparents|parents) ([a-z]+ )?(died|passed|passed away|is dying|was dying|has died|had died|is dead|was dead|killed himself|killed herself|ended his life|ended her life|took his life|took her life|took his own life|took her own life)`,
	`(killing|kill|killed|kills) (time|the time|the mood|the vibe|the lights|the engine|the music|two birds|weeds|the bugs|a bottle)`,
	`(this|that|it|the|my|your|his|her) (heat|traffic|commute|headache|migraine|exam|job|noise|wait|suspense|music|song|joke|show|movie|shoes|boss|kid|kids|homework|hangover|back|neck|feet|knee|tooth) (is|was|are|were) (killing|going to kill|gonna kill|about to kill) (me|us)`,
	`(mum|mom|mother|dad|father|boss|wife|husband|partner|teacher|she|he|they|coach|landlord|manager|sister|brother|gran|nan|grandma) (will|would|is going to|going to|gonna|is gonna) (kill|murder) me`,
	`(kill|killing) me (now|already) (lol|lmao|haha|please|pls)`,
	`(i would|i could|would|could) (kill|murder) for (a|an|some|that|this|another|one)`,
	`(bored|scared|worried|sick|frightened|tickled|loved|hugged|starved|freezing|frozen|tired) to death`,
	`(end|ending|ended|finish|finishing|finished|wrap|wrapping) (it|this|things|the meeting|the session|the call|the day|the week|the year|on a) (here|there|now and|early|on a high note|for today|for now|for tonight|with a|at [0-9]+|at noon|at midnight)`,
	`(end|ending|ended) (it|things) (with|between) (him|her|them|us|my (boyfriend|girlfriend|partner|husband|wife|ex|bf|gf|fiance|fiancee|date|therapist|counsellor|counselor|job|landlord|friend|friends|flatmate|roommate|boss|coach|gym|dentist|doctor))`,
	`(cut|cutting|burnt|burned|burn|burning|scratched|hurt|hurting|nicked|nick) myself (shaving|cooking|on the|on a|on my|while|by accident|accidentally|chopping|ironing|gardening|at the gym|playing|falling|at work|at football|skating|climbing|with a knife while|opening|baking)`,
	`(killing|killed|kill|kills|crack|cracking) myself (laughing|with laughter|up)`,
	`die inside|died inside|dying inside`,
	`(disappear|disappearing|vanish|hide|hiding) (under|into|in) (my|the|a) (duvet|blanket|blankets|covers|bed|book|books|hoodie|crowd|garden|woods|hobby|work|music|game|games)`,
	`(let us|we should|we can|we could|could we|can we|should we|shall we|time to|let me) (end|finish|wrap up|call) (it|this|things|the session|the call)`,
	`(over my dead body|drop dead gorgeous|dead in the water|dead to me|dead of night|dead or alive|dead as a doornail|beat a dead horse|beating a dead horse|flogging a dead horse|knock em dead|knock them dead|to the death|death metal|death valley|death star|death note|the walking dead|dead man walking|til death|till death)`,
	`(last|final) (day|week|night|shift|exam|class|lesson|session|assignment|message|goodbye) (at|of|in|before|for) (work|school|uni|university|college|the job|my job|term|the term|the holiday|holiday|vacation|camp|the course|the semester|the year|the month|the week|half term|the office|this job)`,
	`(say|said|saying|says) goodbye to (summer|winter|my old|the old|my job|our house|the house|the flat|the apartment|my car|the city|london|paris|the team|my hair|my beard|sugar|coffee|alcohol|booze|caffeine|smoking|my twenties|my thirties|2020|the year)`,
	`(goodbye|bye|farewell) (for now|till next|until next|see you|see ya|and see you|and thanks for|my friend see|party|drinks|lunch|dinner|brunch)`,
	`(giving|gave|give) away (clothes|books|toys|the kittens|kittens|puppies|old|some old|my old|baby clothes|the old)`,
	`(say|said|saying|had to say) goodbye to (my|our|his|her|the) (dog|cat|pet|rabbit|hamster|horse|grandma|grandmother|grandpa|grandfather|nan|gran|mum|mom|dad|uncle|aunt|friend|neighbour|neighbor)`,
	`(the|my|your|our) will (power|to live|to win|to keep going)`,
	`(cut|cutting|chop|chopping|slice|slicing|burn|burnt|burned|burning|scratched|scratch) ([a-z]+ )?(my|the) (finger|fingers|hand|thumb|tongue|hair|fringe|bangs|nails|toast|dinner|onion|onions|rice|cake|bread|steak|chicken|veg|vegetables|carrots|food|pizza|pie|arm on|arm while|leg on|leg while|knee|elbow|lip)( (while|on|cooking|chopping|shaving|gardening|ironing))?`,
	`(cut|cutting|cuts) (my|the) (hair|fringe|bangs|nails|grass|hedge|lawn|losses|ties|budget|spending|sugar|carbs|hours|costs|coupons)`,
	`(burnt|burned|burn|burning) (out|the midnight oil|the toast|dinner|the dinner|calories|bridges|my bridges)`,
	`(hurt|hurting|hurts) (my|his|her) (back|knee|ankle|wrist|foot|feet|shoulder|neck|hand|arm|leg|hip|feelings) (at|playing|while|when|lifting|running|doing|on|in|from)`,
	`(punch|punching|hit|hitting|hitting the|hit the) (the )?(gym|books|road|hay|sack|snooze|bag|wall at the gym|the wall at|a wall with|a wall in|a wall on|my stride|the jackpot|send)`,
	`(sleep|sleeping) (for|like) (ever|forever) (tomorrow|this weekend|on sunday|on saturday|after|when|in|tonight|lol)`,
	`(i could|i want to|i would|gonna|going to) (sleep|nap) (for )?(forever|for a week|for days|for a year|all weekend|for ever)`,
	`(disappear|disappearing|vanish|vanishing|go away|going away|gone|leave|leaving) (for|to) (a week|the weekend|a few days|a bit|a while|a month|two weeks|holiday|vacation|camp|the summer|the holidays|the country|work|a trip|spain|france|my parents|my mum|my moms|the beach|the mountains|uni|university)`,
	`(will not|wont|not going to|will not be|may not|might not) be (around|here|at) (next|this|on|for) (week|weekend|tuesday|monday|wednesday|thursday|friday|saturday|sunday|session|the session|the meeting|a while|a few weeks|christmas|the holidays)( because| as| i am| im| since| due| for)`,
	`(no|not any|lost all) (point|hope) (in|of) (arguing|asking|waiting|trying to explain|explaining|going|calling|rushing|fixing it|fixing that|buying|complaining|winning|getting)`,
	`(what is|whats) the point (of|in) (this meeting|this exercise|the meeting|that|arguing|asking|this app|this feature|it|homework|going)`,
	`(cannot|can not|could not) (take|handle|bear|stand) (it|this|the) (heat|noise|cold|suspense|smell|traffic|music|rain|weather)`,
	`(cannot|can not) (do|take|handle) (this|it) (heat|weather|job|commute|traffic|noise|assignment|project|class|course)`,
	`(done|finished|over it) with (work|school|uni|the week|this week|today|my shift|the project|the exam|exams|the assignment|dinner|lunch|this job|my homework|homework|the day|cleaning|the laundry)`,
	`(tired|exhausted|sick) of (waiting|this weather|the rain|the heat|work|my job|my commute|this commute|school|the noise|cooking|cleaning|winter|the cold|zoom|meetings|this show|the news|being sick|being ill|this cold|my cold|queues|traffic)`,
	`burden of (proof|care|the debt|taxes|paperwork|responsibility)`,
	`(tax|financial|admin|paperwork|care|caring) burden`,
	`(better|happier|fine) (off )?without (my|the|a|that|this|sugar|coffee|alcohol|caffeine|twitter|facebook|instagram|tiktok|social media|him|her|them|it)`,
	`(suicide|suicidal) (squad|prevention|awareness|hotline|line|helpline|doors|door|mission|run|runs|pass|drills|bridge in the)`,
	`(jump|jumping|jumped) (off|from|into|onto|on) (the|a) (bus|train|boat|bed|sofa|couch|diving board|board|wall|bandwagon|trampoline|swing|horse|bike|ladder|stage|pool|lake|river|sea|ocean)( at| and| to| for| with| in| onto| into| home| quickly| first| then| because)`,
	`(overdose|overdosed|overdosing) (on|of) (coffee|caffeine|sugar|chocolate|netflix|tv|work|sunshine|cake|candy|sweets|carbs|pizza|cheese|memes|tiktok|cute|cuteness|vitamin)`,
	`(took|take|taking|swallow|swallowed) (all|all of) (my|the|these|those) (vitamins|advice|notes|courses|classes|photos|pictures|stuff home|things home|bags|boxes|exams)`,
	`(rather|better off|better) (be )?dead (than|in a ditch than) (be )?(seen|caught)`,
	`(plan|way|method) (to|for) (do it|end it) (better|right|properly|faster|in the meeting|at work|next time|with the team)`,
	`(going|gonna|plan|planning|planned|decided|ready|about|want|wanting) to do it (tonight|today|tomorrow|this weekend|this week|soon|now|right now|later|after|when|before|on) (after|before|when|with|at|because|once|if) (work|school|dinner|lunch|the gym|the kids|my|the|class|the meeting|i get home|we|you)`,
	`(the )?(laundry|dishes|homework|washing|ironing|cleaning|taxes|assignment|essay|report|shopping|groceries|exercises|worksheet)( [a-z]+){0,4} do it (tonight|today|tomorrow|this weekend|this week|soon|now|later)`,
	`(do it|doing it) (tonight|today|tomorrow) (homework|laundry|dishes|essay|assignment|worksheet|exercises)`,
}
